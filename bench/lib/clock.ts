/**
 * Time for measurements. `nowMs()` is CLOCK_MONOTONIC (process.hrtime), which
 * on Linux is one clock for every process of the machine: a timestamp taken in
 * the bridge's child process and one taken here can be subtracted directly.
 * Redis stream ids are wall-clock milliseconds; `wallToMono` converts them.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Wall clock minus monotonic clock, sampled once (both advance together). `Date.now()` is whole
 * milliseconds, so it is read right after it ticks, when it is exact: read at a random moment it is up to
 * 1 ms behind, which put a stream id's time up to 1 ms after the append and made a notification that came
 * sooner than that look older than its post (bench/lib/coverage.ts: counted as missed).
 */
const offset = (() => {
  const start = Date.now();
  let wall = start;
  let mono = nowMs();
  while (wall === start) {
    mono = nowMs();
    wall = Date.now();
  }
  return wall - mono;
})();

export function wallToMono(wallMs: number): number {
  return wallMs - offset;
}

export function monoToWall(mono: number): number {
  return mono + offset;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `check` holds (polling every `everyMs`); rejects after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 10,
): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await check())) {
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
