/**
 * Redis restarted mid-stream: a private redis-server with appendonly (fsync
 * always) is SIGKILLed and started again on the same port while posts keep
 * coming. The bridge (a child process) must reconnect by itself and lose
 * nothing: WebSocket frames wait in memory, queued jobs and offsets survive
 * in the AOF.
 */
import type { Redis } from 'ioredis';
import { startFakeMattermost, type FakeMattermost } from '../../fake-mattermost';
import { connectRedis } from '../../helpers/redis';
import { PrivateRedis } from '../../helpers/redis-server';
import { RedisEventLog } from '../../../src/eventlog/redis-event-log';
import { redisKeys } from '../../../src/redis/keys';
import { createdWith, expectExactlyOnce, sleep, until, waitConnected } from '../ingest/helpers';
import { killAllBridges, spawnBridge } from './child';

jest.setTimeout(90_000);

describe('Redis restarted mid-stream', () => {
  let fake: FakeMattermost;
  let redis: PrivateRedis;
  let admin: Redis;

  beforeAll(async () => {
    [fake, redis] = await Promise.all([startFakeMattermost(), PrivateRedis.start({ appendonly: true })]);
    fake.seed({
      channels: [
        { name: 'rr-a', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
        { name: 'rr-b', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
      ],
    });
    admin = connectRedis(redis.url);
  });

  afterAll(async () => {
    await killAllBridges();
    admin?.disconnect();
    await fake?.stop();
    await redis?.destroy();
  });

  test('the bridge reconnects by itself; every post lands once', async () => {
    const prefix = 'rr';
    const keys = redisKeys(prefix);
    const child = await spawnBridge({
      redisUrl: redis.url,
      prefix,
      mattermostUrl: fake.url,
      token: fake.token('bridge-bot'),
    });
    const eventLog = new RedisEventLog({ redis: admin, keys, retentionMs: 3_600_000, maxLen: 1_000_000 });
    try {
      await waitConnected(admin, keys);
      const sent: string[] = [];
      for (let i = 0; i < 300; i++) {
        if (i === 100) await redis.kill(); // down for the next 100 posts (about a second)
        if (i === 200) await redis.restart();
        const message = `rr-${i}`;
        fake.post({ user: 'alice', channel: ['rr-a', 'rr-b'][i % 2], message });
        sent.push(message);
        await sleep(i >= 100 && i < 200 ? 10 : i % 5 === 4 ? 10 : 0);
      }
      await until('300 posts', async () => (await createdWith(eventLog, 'rr-')).length >= 300, 40_000);
      await sleep(500);
      expectExactlyOnce(await createdWith(eventLog, 'rr-'), sent);
      expect(child.exited()).toBe(false);
      if (process.env.SHOW_CHILD_LOG) process.stderr.write(child.stderr());
    } finally {
      await child.stop();
      await eventLog.close();
    }
  });
});
