/**
 * BRIDGE_WEBSOCKET=false: the polling fallback alone (a BullMQ repeatable
 * job doing REST catch-up every POLL_INTERVAL) delivers every change once.
 */
import { Client4 } from '@mattermost/client';
import { startFakeMattermost, type FakeMattermost } from '../../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../../helpers/redis';
import { isIngestReady } from '../../../src/pipeline/ingest';
import { startPipeline, type RunningPipeline } from './pipeline';
import { allUpdates, createdWith, expectExactlyOnce, ingestState, sleep, until } from './helpers';

jest.setTimeout(60_000);

describe('polling only (BRIDGE_WEBSOCKET=false)', () => {
  const prefix = testPrefix('polling');
  const admin = connectRedis();
  let fake: FakeMattermost;
  let p: RunningPipeline;

  beforeAll(async () => {
    fake = await startFakeMattermost();
    fake.seed({ channels: [{ name: 'poll-a', members: ['admin', 'alice', 'bob', 'bridge-bot'] }] });
    p = await startPipeline({
      redisUrl: testRedisUrl(),
      prefix,
      mattermostUrl: fake.url,
      token: fake.token('bridge-bot'),
      ingestOptions: { websocket: false, pollIntervalMs: 1000 },
    });
    await until('polling on', async () => (await ingestState(admin, p.keys))?.polling === true);
  });

  afterAll(async () => {
    await p?.stop();
    await fake?.stop();
    await cleanupPrefix(admin, prefix);
    await admin.quit();
  });

  test('state: WebSocket disabled, polling, ready', async () => {
    const s = await ingestState(admin, p.keys);
    expect(s?.websocket).toBe('disabled');
    expect(s?.polling).toBe(true);
    expect(isIngestReady(s)).toBe(true);
    expect(fake.snapshot().connections).toEqual([]);
  });

  test('posts, an edit, a reaction and a delete arrive once each through polling', async () => {
    fake.post({ user: 'alice', channel: 'alice__bridge-bot', message: 'poll-dm-secret' });
    const want = Array.from({ length: 50 }, (_, i) => `poll-${i}`);
    const posts = want.map((message) => fake.post({ user: 'alice', channel: 'poll-a', message }) as { id: string });
    await until('50 polled posts', async () => (await createdWith(p.eventLog, 'poll-')).length >= 50);

    const alice = new Client4();
    alice.setUrl(fake.url);
    alice.setToken(fake.token('alice'));
    const target = posts[3].id;
    await alice.patchPost({ id: target, message: 'poll-3 edited' });
    await alice.addReaction(fake.user('alice').id, target, 'tada');
    await alice.deletePost(posts[7].id);
    const kinds = async () => {
      const all = await allUpdates(p.eventLog, { types: ['post.edited', 'post.deleted', 'reaction.added'] });
      return all.filter((u) => {
        const d = u.data as { post?: { id: string }; reaction?: { postId: string } };
        return [target, posts[7].id].includes(d.post?.id ?? d.reaction?.postId ?? '');
      });
    };
    await until('edit, reaction and delete', async () => (await kinds()).length >= 3);
    await sleep(2500); // two more passes (each re-reads the last skew window) must add nothing
    expect((await kinds()).map((u) => u.type).sort()).toEqual(['post.deleted', 'post.edited', 'reaction.added']);
    // the DM stays out: BRIDGE_ALLOW_DIRECT is off
    expectExactlyOnce(await createdWith(p.eventLog, 'poll-'), want);
  });
});
