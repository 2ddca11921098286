/**
 * Instants and days as text: the DateTime scalar and usage days write them without `Date`'s own
 * formatting, so they are checked against it over the whole range a DateTime may name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EARLIEST_INSTANT, isoDay, isoInstant, LATEST_INSTANT, MS_PER_DAY, utcDayOf } from '../src/core/days.js';

describe('isoInstant', () => {
  it('writes every instant of years 0001 to 9999 exactly as toISOString does', () => {
    fc.assert(
      fc.property(fc.integer({ min: EARLIEST_INSTANT, max: LATEST_INSTANT }), (ms) => {
        expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges right: the range, leap days, century years, the epoch and the instant before it', () => {
    const edges = [
      EARLIEST_INSTANT,
      LATEST_INSTANT,
      0,
      -1,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 2, 1),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(999, 0, 1, 0, 0, 0, 7),
      Date.parse('0099-12-31T00:00:00.000Z'),
    ];
    for (const ms of edges) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('answers each instant with its own text when instants that share a slot of the kept ones come and go', () => {
    // Instants that come and go in turns, some of them sure to share a slot (1 025 of them in 1 024
    // slots). Each must still get its own text, whichever was written last.
    const base = Date.UTC(2026, 11, 2, 10, 0, 0, 0);
    const sharing = Array.from({ length: 1025 }, (_, i) => base + i * 86_400_000);
    for (let round = 0; round < 3; round++) {
      for (const ms of sharing) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
    }
    fc.assert(
      fc.property(fc.array(fc.integer({ min: EARLIEST_INSTANT, max: LATEST_INSTANT }), { minLength: 1, maxLength: 50 }), (instants) => {
        for (const ms of [...instants, ...instants.reverse()]) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves instants outside four-digit years, and invalid dates, to toISOString's own answer", () => {
    expect(isoInstant(new Date(LATEST_INSTANT + 1))).toBe('+010000-01-01T00:00:00.000Z');
    expect(isoInstant(new Date(EARLIEST_INSTANT - 1))).toBe('0000-12-31T23:59:59.999Z');
    expect(() => isoInstant(new Date(Number.NaN))).toThrow(RangeError);
    // An instant kept from before answers the same after an invalid date asked for its slot.
    expect(isoInstant(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(() => isoInstant(new Date(Number.NaN))).toThrow(RangeError);
    expect(isoInstant(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('isoDay', () => {
  it('names the UTC day an instant falls on, for every day of years 0001 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: utcDayOf(EARLIEST_INSTANT), max: utcDayOf(LATEST_INSTANT) }), (day) => {
        expect(isoDay(day)).toBe(new Date(day * MS_PER_DAY).toISOString().slice(0, 10));
      }),
      { numRuns: 20_000 },
    );
  });
});
