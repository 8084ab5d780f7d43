/**
 * The tool scenario's direct caller: the same Client4 call the bridge makes for
 * `read_channel` (`getPosts` on the resilient client, same budget in Redis),
 * from its own process. The fake Mattermost lives in the bench process, so a
 * call made there never left the process while the bridge's crossed two
 * process boundaries (the wake-ups of both processes counted against the
 * bridge). An agent calling Mattermost itself crosses them too.
 * Config from the environment: MATTERMOST_URL, MM_TOKEN, REDIS_URL, BENCH_BUDGET_PREFIX.
 */
import IORedis from 'ioredis';
import { createMattermostClient } from '../../src/mattermost/client';
import { nowMs } from '../lib/clock';
import { usage } from '../bridge/usage';
import type { ChildMessage, ParentMessage } from '../bridge/protocol';

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const redis = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  const client = createMattermostClient({
    url: process.env.MATTERMOST_URL!,
    token: process.env.MM_TOKEN!,
    timeoutMs: 15_000,
    ratePerSec: 100_000,
    redis,
    budgetKeyPrefix: process.env.BENCH_BUDGET_PREFIX!,
  });
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'get-posts') {
      const t = nowMs();
      client.getPosts(msg.channel, 0, msg.limit).then(
        (list) => send({ type: 'got-posts', id: msg.id, ms: nowMs() - t, posts: list.order.length }),
        (err: Error) => send({ type: 'error', message: err.message }),
      );
    }
    if (msg.type === 'stop') {
      redis.disconnect();
      send({ type: 'stopped' });
      process.disconnect?.();
      setTimeout(() => process.exit(0), 50).unref();
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: '', pid: process.pid, botUserId: '', stats: usage() });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  setTimeout(() => process.exit(1), 50);
});
