import { randomBytes } from 'node:crypto';

/** Mattermost's base32 alphabet (model.NewId): ids are 26 of these characters. */
export const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

// Random bytes drawn 4 KiB at a time: one randomBytes call per id was a tenth of the fake's CPU when
// the benchmark posts a thousand times a second.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;

export function newId(): string {
  if (poolAt + 26 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  let id = '';
  for (let i = poolAt; i < poolAt + 26; i++) id += ID_ALPHABET[pool[i]! & 31];
  poolAt += 26;
  return id;
}

/** model.IsValidId: 26 letters or digits. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9]{26}$/.test(value);
}

let last = 0;
let unique = true;

/**
 * Benchmarks post thousands of times a second, and the real server stamps posts
 * with model.GetMillis(), so several share a millisecond: `false` allows that
 * here too (still never going backwards). Tests keep the default (unique).
 */
export function setUniqueTimestamps(on: boolean): void {
  unique = on;
}

/**
 * Milliseconds since the epoch, as the server stamps create_at/update_at, but never the same value twice
 * in this process: on a collision it waits for the next millisecond (never running ahead of the clock), so
 * `since` queries and create_at ordering are unambiguous in tests.
 */
export function nowMs(): number {
  let t = Date.now();
  if (!unique) {
    last = t = Math.max(t, last);
    return t;
  }
  while (t <= last) t = Date.now();
  last = t;
  return t;
}
