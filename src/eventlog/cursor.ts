/** Cursors are Redis stream entry ids `<ms>-<seq>`; these helpers parse and order them without float loss. */
import { InvalidCursorError } from './types';

export const ZERO_CURSOR = '0-0';
const MAX_U64 = (1n << 64n) - 1n;

export interface ParsedCursor {
  ms: bigint;
  seq: bigint;
}

/** Parses `123`, `123-4`; throws InvalidCursorError for anything else. */
export function parseCursor(cursor: string): ParsedCursor {
  const m = typeof cursor === 'string' ? /^(\d{1,20})(?:-(\d{1,20}))?$/.exec(cursor.trim()) : null;
  if (!m) throw new InvalidCursorError(String(cursor));
  const ms = BigInt(m[1]);
  const seq = m[2] === undefined ? 0n : BigInt(m[2]);
  if (ms > MAX_U64 || seq > MAX_U64) throw new InvalidCursorError(cursor);
  return { ms, seq };
}

/** The canonical `<ms>-<seq>` form of a valid cursor. */
export function normalizeCursor(cursor: string): string {
  const { ms, seq } = parseCursor(cursor);
  return `${ms}-${seq}`;
}

export function compareCursors(a: string, b: string): number {
  const x = parseCursor(a);
  const y = parseCursor(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
  return 0;
}

export function maxCursor(a: string, b: string): string {
  return compareCursors(a, b) >= 0 ? a : b;
}

/** Milliseconds part of a cursor (its append time), as a number. */
export function cursorTime(cursor: string): number {
  return Number(parseCursor(cursor).ms);
}
