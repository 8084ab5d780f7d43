/**
 * The baseline: a bare BullMQ Worker whose processor does nothing but note
 * when each job started (its data is `{ seq }`), in its own process like the
 * bridge's workers. Config from the environment: REDIS_URL, BENCH_QUEUE,
 * BENCH_PREFIX, BENCH_CONCURRENCY.
 */
import IORedis from 'ioredis';
import { Worker } from 'bullmq';
import { nowMs } from '../lib/clock';
import { usage } from '../bridge/usage';
import { exitWhenOrphaned, stopThenExit } from '../bridge/exit-when-orphaned';
import type { ChildMessage, ParentMessage } from '../bridge/protocol';

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const connection = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  let started: [number, number][] = [];
  let processed = 0;
  let expect: { target: number } | undefined;
  const worker = new Worker(
    process.env.BENCH_QUEUE!,
    async (job) => {
      started.push([(job.data as { seq: number }).seq, nowMs()]);
      processed++;
      if (expect && processed >= expect.target) {
        send({ type: 'drained', at: nowMs(), processed });
        expect = undefined;
      }
    },
    {
      connection,
      prefix: process.env.BENCH_PREFIX!,
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? '1'),
    },
  );
  worker.on('error', (err) => process.stderr.write(`baseline worker error: ${err.message}\n`));
  await worker.waitUntilReady();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await worker.close();
      connection.disconnect();
    })());
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'collect') {
      send({ type: 'collected', id: msg.id, started, processed });
      started = [];
    }
    if (msg.type === 'expect') {
      expect = { target: processed + msg.jobs };
      send({ type: 'expecting', id: msg.id });
    }
    if (msg.type === 'stop') stopThenExit(stop);
  });
  exitWhenOrphaned(stop);
  send({ type: 'ready', url: '', pid: process.pid, botUserId: '', stats: usage() });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  setTimeout(() => process.exit(1), 50);
});
