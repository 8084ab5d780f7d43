/** The bare BullMQ baseline: a Queue here, a no-op Worker in a child process (bench/baseline/worker.ts). */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChildMessage } from '../bridge/protocol';
import { childScript, type ChildBuild } from './build';
import { BenchChild } from './child';
import type { BenchWorld } from './env';

export const BASELINE_QUEUE = 'bench-noop';

export interface Baseline {
  queue: Queue;
  worker: BenchChild;
  /** Job start times (nowMs in the worker) by seq, since the last collect. */
  collect(): Promise<Map<number, number>>;
  /**
   * Arms the worker (resolves once it acknowledged, before any job is added);
   * `done` resolves with the worker's nowMs() once `jobs` more jobs were processed.
   */
  expectDrained(jobs: number, timeoutMs: number): Promise<{ done: Promise<number> }>;
  close(): Promise<void>;
}

export async function startBaseline(
  world: BenchWorld,
  build: ChildBuild,
  prefix: string,
  opts: { concurrency?: number; connection: Redis },
): Promise<Baseline> {
  const child = childScript(build, 'bench/baseline/worker');
  const worker = await BenchChild.start(child.script, {
    compiled: child.compiled,
    env: {
      ...child.env,
      REDIS_URL: world.redisUrl,
      BENCH_QUEUE: BASELINE_QUEUE,
      BENCH_PREFIX: prefix,
      BENCH_CONCURRENCY: String(opts.concurrency ?? 1),
    },
  });
  const queue = new Queue(BASELINE_QUEUE, { connection: opts.connection, prefix });
  await queue.waitUntilReady();
  return {
    queue,
    worker,
    async collect() {
      const m = await worker.request<Extract<ChildMessage, { type: 'collected' }>>({ type: 'collect', id: 0 });
      return new Map(m.started);
    },
    async expectDrained(jobs, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const done = new Promise<number>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`baseline not drained within ${timeoutMs} ms`)), timeoutMs);
        const onMessage = (m: ChildMessage) => {
          if (m.type !== 'drained') return;
          clearTimeout(timer);
          worker.proc.off('message', onMessage);
          resolve(m.at);
        };
        worker.proc.on('message', onMessage);
      });
      done.catch(() => undefined);
      try {
        await worker.request({ type: 'expect', id: 0, jobs });
      } catch (err) {
        clearTimeout(timer);
        throw err;
      }
      return { done };
    },
    async close() {
      await worker.stop();
      await queue.close();
    },
  };
}
