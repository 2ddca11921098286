#!/usr/bin/env node
// `algoplane <command>` once installed (npm link / npx): runs the TypeScript entry through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
