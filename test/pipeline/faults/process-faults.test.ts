/**
 * Process faults on real parts: the bridge (ingest + worker roles) runs as a
 * child process against the fake Mattermost and the run's Redis; we SIGKILL
 * it mid-stream. Nothing may be lost, nothing doubled.
 */
import { startFakeMattermost, type FakeMattermost } from '../../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../../helpers/redis';
import { RedisEventLog } from '../../../src/eventlog/redis-event-log';
import { redisKeys } from '../../../src/redis/keys';
import { readIngestState } from '../../../src/pipeline/ingest';
import type { PipelineOptions } from '../ingest/pipeline';
import { createdWith, expectExactlyOnce, sleep, until, waitConnected } from '../ingest/helpers';
import { killAllBridges, spawnBridge, type BridgeChild } from './child';

jest.setTimeout(90_000);

/** Posts `count` messages at a steady pace, calling `at(i)` before message i (to inject faults). */
async function stream(
  fake: FakeMattermost,
  prefix: string,
  count: number,
  channels: string[],
  at: (i: number) => Promise<void> | void = () => undefined,
): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    await at(i);
    const message = `${prefix}${i}`;
    fake.post({ user: i % 2 ? 'alice' : 'bob', channel: channels[i % channels.length], message });
    sent.push(message);
    if (i % 5 === 4) await sleep(10);
  }
  return sent;
}

describe('bridge process faults', () => {
  const admin = connectRedis();
  let fake: FakeMattermost;
  const prefixes: string[] = [];

  beforeAll(async () => {
    fake = await startFakeMattermost();
    fake.seed({
      channels: [
        { name: 'flt-a', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
        { name: 'flt-b', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
      ],
    });
  });

  afterAll(async () => {
    await killAllBridges();
    await fake?.stop();
    for (const p of prefixes) await cleanupPrefix(admin, p);
    await admin.quit();
  });

  function options(label: string): PipelineOptions {
    const prefix = testPrefix(label);
    prefixes.push(prefix);
    return { redisUrl: testRedisUrl(), prefix, mattermostUrl: fake.url, token: fake.token('bridge-bot') };
  }

  test('SIGKILL mid-stream, then restart → nothing lost, nothing doubled', async () => {
    const opts = options('kill');
    const keys = redisKeys(opts.prefix);
    const eventLog = new RedisEventLog({ redis: admin, keys, retentionMs: 3_600_000, maxLen: 1_000_000 });
    let child: BridgeChild = await spawnBridge(opts);
    try {
      await waitConnected(admin, keys);
      const sent = await stream(fake, 'kill-', 300, ['flt-a', 'flt-b'], async (i) => {
        if (i === 100) await child.kill();
        if (i === 200) child = await spawnBridge(opts);
      });
      await until(
        '300 posts after the restart',
        async () => (await createdWith(eventLog, 'kill-')).length >= 300,
        40_000,
      );
      await sleep(500);
      expectExactlyOnce(await createdWith(eventLog, 'kill-'), sent);
    } finally {
      await child.stop();
      await eventLog.close();
    }
  });

  test('leader election: SIGKILL the active ingest → the standby takes over within 10 s, nothing lost', async () => {
    const opts = options('leader');
    const keys = redisKeys(opts.prefix);
    const eventLog = new RedisEventLog({ redis: admin, keys, retentionMs: 3_600_000, maxLen: 1_000_000 });
    const a = await spawnBridge(opts);
    const b = await spawnBridge(opts);
    try {
      const first = await waitConnected(admin, keys);
      const leaderPid = Number(first.instance.split(':')[1]);
      const [leader, standby] = leaderPid === a.pid ? [a, b] : [b, a];
      expect(leader.pid).toBe(leaderPid);
      let killedAt = 0;
      let tookOverMs = -1;
      const sent = await stream(fake, 'elect-', 200, ['flt-a', 'flt-b'], async (i) => {
        if (i === 80) {
          await leader.kill();
          killedAt = Date.now();
          void until('the standby to lead', async () => {
            const s = await readIngestState(admin, keys);
            return s?.websocket === 'connected' && Number(s.instance.split(':')[1]) === standby.pid;
          }).then(() => (tookOverMs = Date.now() - killedAt));
        }
      });
      await until('the standby to take over', () => tookOverMs >= 0, 15_000);
      expect(tookOverMs).toBeLessThan(10_000);
      await until('200 posts', async () => (await createdWith(eventLog, 'elect-')).length >= 200, 30_000);
      await sleep(500);
      expectExactlyOnce(await createdWith(eventLog, 'elect-'), sent);
    } finally {
      await a.stop();
      await b.stop();
      await eventLog.close();
    }
  });
});
