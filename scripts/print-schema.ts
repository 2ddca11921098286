/**
 * Writes schema.graphql from the code (`npm run schema:print`). The schema test fails when the
 * committed file and the code disagree, so clients and reviewers always see the real contract.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printedSchema } from '../src/graphql/print.js';

const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printedSchema());
process.stdout.write(`wrote ${target}\n`);
