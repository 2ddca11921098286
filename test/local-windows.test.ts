/** The in-process budget counters (fixed windows), on a clock the test moves. */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalWindows } from '../src/auth/local-windows.js';

describe('LocalWindows', () => {
  let now = 1_000_000;
  const windows = new LocalWindows(60_000, () => now);
  afterEach(() => windows.close());

  it('counts within a window that opens at the first count, and starts afresh once it ends', () => {
    expect(windows.get('a')).toBeNull();
    expect(windows.consume('a', 1)).toEqual({ consumed: 1, msBeforeNext: 60_000 });
    now += 59_999;
    expect(windows.consume('a', 2)).toEqual({ consumed: 3, msBeforeNext: 1 });
    expect(windows.get('a')).toEqual({ consumed: 3, msBeforeNext: 1 });
    expect(windows.consume('b', 1)).toEqual({ consumed: 1, msBeforeNext: 60_000 });
    now += 1;
    expect(windows.get('a')).toBeNull();
    expect(windows.consume('a', 1)).toEqual({ consumed: 1, msBeforeNext: 60_000 });
  });

  it('gives back to an open window only, never below nothing', () => {
    windows.consume('c', 2);
    windows.reward('c', 5);
    expect(windows.get('c')?.consumed).toBe(0);
    now += 60_000;
    windows.reward('c', 1);
    windows.reward('never-counted', 1);
    expect(windows.get('c')).toBeNull();
    expect(windows.consume('never-counted', 1).consumed).toBe(1);
  });
});
