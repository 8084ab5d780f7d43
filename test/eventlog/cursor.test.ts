/**
 * compareCursors compares canonical entry ids as digit strings (no parsing):
 * a property against the BigInt order of the parsed cursors, over canonical
 * ids, short forms, leading zeros, whitespace, 20-digit parts and garbage.
 */
import fc from 'fast-check';
import { compareCursors, parseCursor } from '../../src/eventlog/cursor';
import { InvalidCursorError } from '../../src/eventlog/types';

function byBigInt(a: string, b: string): number {
  const x = parseCursor(a);
  const y = parseCursor(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
  return 0;
}

const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));
const part = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
  fc.nat({ max: 20 }).map(String),
  digits(20),
);
const cursor = fc.oneof(
  fc.tuple(part, part).map(([ms, seq]) => `${ms}-${seq}`),
  part,
  fc.tuple(part, part, fc.constantFrom(' ', '\t', '')).map(([ms, seq, ws]) => `${ws}${ms}-${seq}${ws}`),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('0-0', '-', '1-', '-1', '1--2', '01-2', '1-02', '99999999999999999999-0', '18446744073709551616-0'),
);

function outcome(f: () => number): number | string {
  try {
    return f();
  } catch (err) {
    return err instanceof InvalidCursorError ? 'invalid' : `other: ${(err as Error).message}`;
  }
}

describe('compareCursors', () => {
  test('property: the order of the parsed numbers, and InvalidCursorError for the same inputs', () => {
    fc.assert(
      fc.property(cursor, cursor, (a, b) => {
        expect(outcome(() => compareCursors(a, b))).toEqual(outcome(() => byBigInt(a, b)));
      }),
      { numRuns: 20_000 },
    );
  });

  test('canonical ids of different lengths and equal prefixes', () => {
    expect(compareCursors('9-0', '10-0')).toBe(-1);
    expect(compareCursors('1733300000000-9', '1733300000000-10')).toBe(-1);
    expect(compareCursors('1733300000001-0', '1733300000000-99')).toBe(1);
    expect(compareCursors('5-5', '5-5')).toBe(0);
    expect(compareCursors('5', '5-0')).toBe(0);
    expect(() => compareCursors('5-5', 'x')).toThrow(InvalidCursorError);
    expect(() => compareCursors('x', '5-5')).toThrow(InvalidCursorError);
  });
});
