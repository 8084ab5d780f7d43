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

/**
 * Orders two cursors (throws InvalidCursorError for an invalid one). Entry ids as Redis writes them
 * (`<ms>-<seq>`, no leading zeros, at most 19 digits each) are compared as digit strings without
 * allocating: the fan-out and every read compare cursors many times per update (binary searches of the
 * recent window), and parsing each into BigInts through a regex was 5 KB of garbage per post.
 */
export function compareCursors(a: string, b: string): number {
  const da = canonicalDash(a);
  const db = da < 0 ? -1 : canonicalDash(b);
  if (db >= 0) return compareDigits(a, 0, da, b, 0, db) || compareDigits(a, da + 1, a.length, b, db + 1, b.length);
  const x = parseCursor(a);
  const y = parseCursor(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
  return 0;
}

/** The index of the '-' of a canonical entry id (1–19 digits each side, no leading zero), else -1. */
function canonicalDash(c: string): number {
  if (typeof c !== 'string') return -1;
  const n = c.length;
  let dash = -1;
  for (let i = 0; i < n; i++) {
    const ch = c.charCodeAt(i);
    if (ch === 45 /* - */) {
      if (dash >= 0) return -1;
      dash = i;
    } else if (ch < 48 || ch > 57) return -1;
  }
  const seqLen = n - dash - 1;
  if (dash < 1 || dash > 19 || seqLen < 1 || seqLen > 19) return -1;
  if ((dash > 1 && c.charCodeAt(0) === 48) || (seqLen > 1 && c.charCodeAt(dash + 1) === 48)) return -1;
  return dash;
}

/** Compares two runs of digits without leading zeros as numbers: the longer is larger, else the first difference. */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  if (aTo - aFrom !== bTo - bFrom) return aTo - aFrom < bTo - bFrom ? -1 : 1;
  for (let i = aFrom, j = bFrom; i < aTo; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function maxCursor(a: string, b: string): string {
  return compareCursors(a, b) >= 0 ? a : b;
}

/** Milliseconds part of a cursor (its append time), as a number. */
export function cursorTime(cursor: string): number {
  return Number(parseCursor(cursor).ms);
}
