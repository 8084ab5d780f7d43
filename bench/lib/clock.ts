/**
 * Time for measurements. `nowMs()` is CLOCK_MONOTONIC (process.hrtime), which
 * on Linux is one clock for every process of the machine: a timestamp taken in
 * the bridge's child process and one taken here can be subtracted directly.
 * Redis stream ids are wall-clock milliseconds; `wallToMono` converts them.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall clock minus monotonic clock, sampled once (both advance together). */
const offset = (() => {
  const a = nowMs();
  const wall = Date.now();
  const b = nowMs();
  return wall - (a + b) / 2;
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
