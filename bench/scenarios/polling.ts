/**
 * Scenario 5 — the peers' approach. The existing Mattermost MCP servers have
 * no push: an agent learns of a post when it next polls a channel through a
 * tool. With a poll every T, a post made at a random moment waits U(0, T) for
 * the next poll, then the poll's own duration — here a `read_channel` through
 * MCP as measured in scenario 4. Monte Carlo over both (seeded, so a rerun on
 * the same samples gives the same figures).
 */
import { summarize, type Summary } from '../lib/stats';

export interface PollingResult {
  intervalMs: number;
  samples: number;
  discover: Summary;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulatePolling(
  readLatencies: number[],
  intervalMs: number,
  samples = 100_000,
  seed = 9,
): PollingResult {
  if (readLatencies.length === 0) throw new Error('no read_channel latencies to simulate polling with');
  const rand = prng(seed);
  const out: number[] = new Array(samples);
  for (let i = 0; i < samples; i++) {
    const wait = rand() * intervalMs;
    const read = readLatencies[Math.floor(rand() * readLatencies.length)];
    out[i] = wait + read;
  }
  return { intervalMs, samples, discover: summarize(out) };
}
