/**
 * How much the machine itself stalls: one busy thread per core reads the clock in a loop for a
 * while and records every gap above `gapMs`. On an idle machine the gaps are the kernel's own
 * (DAMON's sampling, a timer tick); on a virtual machine whose host is busy they are time the
 * vCPU did not run — which `/proc/stat`'s steal does not always count (docs/benchmarks.md,
 * "Machine stalls"). Latency tails follow these gaps, so each run reports them beside its figures.
 */
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';

export interface StallReport {
  /** Busy threads, one per core. */
  threads: number;
  /** How long each thread spun. */
  ms: number;
  /** Gaps counted: longer than this. */
  gapMs: number;
  /** Share of the spinning time lost in such gaps, %, over all threads. */
  lostPct: number;
  /** Gaps per second per thread. */
  gapsPerSecond: number;
  /** The longest gap, ms. */
  maxMs: number;
}

// Plain JavaScript (eval'd by the worker): no loader needed, and nothing to optimize away.
const SPIN = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
let count = 0, lost = 0, max = 0;
let last = performance.now();
const end = last + workerData.ms;
for (;;) {
  const t = performance.now();
  const gap = t - last;
  if (gap > workerData.gapMs) {
    count++;
    lost += gap;
    if (gap > max) max = gap;
  }
  last = t;
  if (t > end) break;
}
parentPort.postMessage({ count, lost, max });
`;

/** One thread's gaps above the threshold: how many, their sum and the longest, ms. */
type Gaps = { count: number; lost: number; max: number };

function spin(ms: number, gapMs: number): Promise<Gaps> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SPIN, { eval: true, workerData: { ms, gapMs } });
    w.once('message', (gaps: Gaps) => resolve(gaps));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`stall probe thread exited with ${code}`));
    });
  });
}

/** Spins `threads` threads (default: one per core) for `ms` and summarizes their gaps. */
export async function measureStalls(ms = 2000, gapMs = 1, threads = cpus().length): Promise<StallReport> {
  if (!(ms > 0) || !(gapMs > 0) || !(threads >= 1))
    throw new Error('measureStalls: ms, gapMs and threads must be positive');
  const each = await Promise.all(Array.from({ length: threads }, () => spin(ms, gapMs)));
  const sum = (f: (g: Gaps) => number) => each.reduce((a, g) => a + f(g), 0);
  const round = (x: number, d = 10) => Math.round(x * d) / d;
  return {
    threads,
    ms,
    gapMs,
    lostPct: round((sum((g) => g.lost) / (ms * threads)) * 100, 100),
    gapsPerSecond: round(sum((g) => g.count) / threads / (ms / 1000)),
    maxMs: round(Math.max(0, ...each.map((g) => g.max))),
  };
}
