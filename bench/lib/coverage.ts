/**
 * Which notification tells a client about which post. A
 * `notifications/resources/updated` carries only the URI, and several posts
 * may be coalesced into one; so a post counts as delivered by the first
 * notification of its URI received after the post was appended to the log
 * (its cursor's time) — a client reading the resource then would see it.
 */
export interface CoveredPost {
  /** nowMs() when the post was made. */
  sentAt: number;
  /** nowMs() before which no notification can be about it: its append time. */
  appendedAt: number;
}

/** First index with sorted[i] >= x. */
export function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Latency of each covered post (notification time - sentAt) and how many no notification covered. */
export function coverage(posts: CoveredPost[], notifications: number[]): { latencies: number[]; missed: number } {
  const sorted = [...notifications].sort((a, b) => a - b);
  const latencies: number[] = [];
  let missed = 0;
  for (const p of posts) {
    const i = lowerBound(sorted, Math.max(p.sentAt, p.appendedAt));
    if (i < sorted.length) latencies.push(sorted[i] - p.sentAt);
    else missed++;
  }
  return { latencies, missed };
}
