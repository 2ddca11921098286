/** The in-process budget counters (fixed windows), on a clock the test moves. */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalWindows } from '../src/auth/local-windows.js';

describe('LocalWindows', () => {
  let now = 1_000_000;
  const windows = new LocalWindows(60_000, () => now);
  afterEach(() => windows.close());

  it('counts requests and points within a window that opens at the first count, and starts afresh once it ends', () => {
    const opened = now;
    expect(windows.get('a')).toBeNull();
    expect(windows.consume('a', 1, 1)).toEqual({ requests: 1, points: 1, resetAt: opened + 60_000 });
    now += 59_999;
    expect(windows.consume('a', 0, 40)).toEqual({ requests: 1, points: 41, resetAt: opened + 60_000 });
    expect(windows.consume('a', 1, 1)).toEqual({ requests: 2, points: 42, resetAt: opened + 60_000 });
    expect(windows.get('a')).toEqual({ requests: 2, points: 42, resetAt: opened + 60_000 });
    expect(windows.consume('b', 1, 0)).toEqual({ requests: 1, points: 0, resetAt: now + 60_000 });
    now += 1;
    expect(windows.get('a')).toBeNull();
    expect(windows.consume('a', 1, 1)).toEqual({ requests: 1, points: 1, resetAt: now + 60_000 });
  });

  it('gives back to an open window only, never below nothing', () => {
    windows.consume('c', 2, 10);
    windows.reward('c', 5, 4);
    expect(windows.get('c')).toMatchObject({ requests: 0, points: 6 });
    now += 60_000;
    windows.reward('c', 1, 1);
    windows.reward('never-counted', 1, 1);
    expect(windows.get('c')).toBeNull();
    expect(windows.consume('never-counted', 1, 0).requests).toBe(1);
  });
});
