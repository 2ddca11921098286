/**
 * The import rules of docs/ARCHITECTURE.md (`.dependency-cruiser.cjs`): layers import only
 * downwards, nothing imports in a circle, and no file is left that nothing uses.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('architecture', () => {
  it('keeps every import within the layer rules, with no cycles', async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: new URL('..', import.meta.url).pathname,
    }).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.output, result.output).toContain('no dependency violations found');
    expect(result.ok).toBe(true);
  });
});
