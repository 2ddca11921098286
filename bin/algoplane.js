#!/usr/bin/env node
// `algoplane <command>` once installed (npm link / npx): the compiled entry (`npm run build`, which
// `npm install` runs through the prepare script).
await import('../dist/main.js');
