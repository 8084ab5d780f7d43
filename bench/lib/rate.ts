/** Calls `fn(i)` at a fixed rate for a duration (the timer's granularity is ~1 ms, so 2,000/s comes in pairs). */
import { nowMs, sleep } from './clock';

export async function atRate(rate: number, durationMs: number, fn: (i: number) => void): Promise<number> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const start = nowMs();
  let i = 0;
  while (i < total) {
    const now = nowMs();
    while (i < total && start + i * interval <= now) fn(i++);
    if (i < total) await sleep(Math.max(0, start + i * interval - nowMs()));
  }
  return total;
}
