/**
 * The ingest end to end, on real parts: the fake Mattermost's WebSocket and
 * REST, the real @mattermost/client, BullMQ queues and workers on the run's
 * Redis, the event log. Every assertion is an exact count.
 */
import { Client4 } from '@mattermost/client';
import { startFakeMattermost, type FakeMattermost } from '../../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../../helpers/redis';
import { eventsEnqueued, eventsSkipped, websocketReconnects } from '../../../src/pipeline/metrics';
import { POLL_SCHEDULER, startCatchupScheduler } from '../../../src/pipeline/catchup';
import { createLogger } from '../../../src/logging/logger';
import { startPipeline, type RunningPipeline } from './pipeline';
import {
  allUpdates,
  counterValue,
  createdWith,
  expectExactlyOnce,
  messageOf,
  sleep,
  ingestState,
  until,
  waitConnected,
} from './helpers';
import { isIngestReady } from '../../../src/pipeline/ingest';

jest.setTimeout(60_000);

describe('ingest: fake Mattermost → WebSocket → queues → workers → event log', () => {
  const prefix = testPrefix('ingest');
  const admin = connectRedis();
  let fake: FakeMattermost;
  let p: RunningPipeline;

  beforeAll(async () => {
    fake = await startFakeMattermost();
    fake.seed({
      channels: [
        { name: 'ing-a', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
        { name: 'ing-b', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
        { name: 'ing-c', members: ['admin', 'alice', 'bob', 'bridge-bot'] },
        { name: 'ing-p', type: 'P', members: ['admin', 'bridge-bot'] },
      ],
      users: [{ username: 'carol' }],
    });
    p = await startPipeline({
      redisUrl: testRedisUrl(),
      prefix,
      mattermostUrl: fake.url,
      token: fake.token('bridge-bot'),
    });
    await waitConnected(admin, p.keys);
  });

  afterAll(async () => {
    await p?.stop();
    await fake?.stop();
    await cleanupPrefix(admin, prefix);
    await admin.quit();
  });

  const post = (channel: string, message: string, user = 'alice') => fake.post({ user, channel, message });

  test('posts through the WebSocket reach the log exactly once each, in order per channel', async () => {
    const want: Record<string, string[]> = { 'ing-a': [], 'ing-b': [], 'ing-c': [] };
    for (let i = 0; i < 150; i++) {
      const channel = ['ing-a', 'ing-b', 'ing-c'][i % 3];
      const message = `e2e-${i}`;
      want[channel].push(message);
      post(channel, message);
      if (i % 25 === 0) await sleep(5); // let frames interleave with flushes
    }
    await until('150 posts', async () => (await createdWith(p.eventLog, 'e2e-')).length >= 150);
    await sleep(300);
    expectExactlyOnce(await createdWith(p.eventLog, 'e2e-'), Object.values(want).flat());
    for (const [name, messages] of Object.entries(want)) {
      const channelId = fake.channel(name).id;
      const inChannel = (await allUpdates(p.eventLog, { types: ['post.created'], channels: [channelId] }))
        .map(messageOf)
        .filter((m) => m.startsWith('e2e-'));
      expect(inChannel).toEqual(messages);
    }
  });

  test('the same frame twice → one record', async () => {
    const created = post('ing-a', 'dup-frame') as { id: string; channel_id: string };
    const frame = {
      event: 'posted',
      data: { post: JSON.stringify({ ...created, message: 'dup-frame' }), channel_type: 'O', channel_name: 'ing-a' },
      broadcast: { channel_id: created.channel_id },
    };
    fake.publishEvent(frame);
    fake.publishEvent(frame);
    await until('the record', async () => (await createdWith(p.eventLog, 'dup-frame')).length >= 1);
    await sleep(500);
    expect(await createdWith(p.eventLog, 'dup-frame')).toEqual(['dup-frame']);
  });

  test('malformed frames and unknown events are counted and skipped; the ingest keeps going', async () => {
    const malformed = await counterValue(eventsSkipped, { reason: 'malformed' });
    const unknown = await counterValue(eventsSkipped, { reason: 'unknown' });
    const channelId = fake.channel('ing-b').id;
    fake.publishEvent({ event: 'posted', data: { post: '{not json' }, broadcast: { channel_id: channelId } });
    fake.publishEvent({ event: 'posted', data: { post: 42 }, broadcast: { channel_id: channelId } });
    fake.publishEvent({ event: 'reaction_added', data: { reaction: '[]' }, broadcast: { channel_id: channelId } });
    fake.publishEvent({ event: 'no_such_event', data: { x: 1 }, broadcast: { channel_id: channelId } });
    post('ing-b', 'after-malformed');
    await until(
      'the post after the bad frames',
      async () => (await createdWith(p.eventLog, 'after-malformed')).length === 1,
    );
    expect((await counterValue(eventsSkipped, { reason: 'malformed' })) - malformed).toBe(3);
    expect((await counterValue(eventsSkipped, { reason: 'unknown' })) - unknown).toBe(1);
  });

  test('WebSocket cut with 200 posts made while it is down, inside the replay window → all 200 once', async () => {
    const reconnects = await counterValue(websocketReconnects);
    const caughtUp = await counterValue(eventsEnqueued, { source: 'catchup' });
    // keep the upgrade failing so the posts are made while the socket is really down
    fake.setFaults({ failNext: { path: '/api/v4/websocket', count: 100_000, status: 503 } });
    expect(fake.dropWebSockets()).toBeGreaterThan(0);
    const want = Array.from({ length: 200 }, (_, i) => `replay-${i}`);
    want.forEach((m, i) => post(['ing-a', 'ing-b'][i % 2], m));
    await sleep(200);
    fake.setFaults({ clear: true });
    await until('200 replayed posts', async () => (await createdWith(p.eventLog, 'replay-')).length >= 200);
    await sleep(300);
    expectExactlyOnce(await createdWith(p.eventLog, 'replay-'), want);
    expect((await counterValue(websocketReconnects)) - reconnects).toBeGreaterThanOrEqual(1);
    // the server replayed them: no REST catch-up was needed
    expect((await counterValue(eventsEnqueued, { source: 'catchup' })) - caughtUp).toBe(0);
  });

  test('the same past the replay window (connection reaped) → REST catch-up delivers all 200 once', async () => {
    const caughtUp = await counterValue(eventsEnqueued, { source: 'catchup' });
    fake.setFaults({ failNext: { path: '/api/v4/websocket', count: 100_000, status: 503 } });
    fake.dropWebSockets();
    const want = Array.from({ length: 200 }, (_, i) => `reaped-${i}`);
    want.forEach((m, i) => post(['ing-b', 'ing-c'][i % 2], m));
    expect(fake.reapInactive()).toBeGreaterThan(0);
    fake.setFaults({ clear: true });
    await until('200 caught-up posts', async () => (await createdWith(p.eventLog, 'reaped-')).length >= 200);
    await waitConnected(admin, p.keys);
    await sleep(300);
    expectExactlyOnce(await createdWith(p.eventLog, 'reaped-'), want);
    // they came over REST: the new connection could not replay them
    expect((await counterValue(eventsEnqueued, { source: 'catchup' })) - caughtUp).toBeGreaterThanOrEqual(200);
    // in order within each channel
    for (const name of ['ing-b', 'ing-c']) {
      const got = (await allUpdates(p.eventLog, { types: ['post.created'], channels: [fake.channel(name).id] }))
        .map(messageOf)
        .filter((m) => m.startsWith('reaped-'));
      expect(got).toEqual(want.filter((_, i) => ['ing-b', 'ing-c'][i % 2] === name));
    }
  });

  test('WebSocket and polling overlapping → one record per post', async () => {
    const scheduler = startCatchupScheduler({
      connection: p.redis,
      keys: p.keys,
      pollIntervalMs: 1000,
      presenceIntervalMs: 1000,
      log: createLogger({ level: 'silent' }),
    });
    try {
      const polled = await counterValue(eventsEnqueued, { source: 'poll' });
      await scheduler.setPolling(true);
      const polls = async () => (await scheduler.queue.getJobScheduler(POLL_SCHEDULER))?.iterationCount ?? 0;
      const want = Array.from({ length: 30 }, (_, i) => `overlap-${i}`);
      want.forEach((m) => post('ing-c', m));
      const start = await polls();
      await until('two polling passes', async () => (await polls()) >= start + 2);
      await until('30 posts', async () => (await createdWith(p.eventLog, 'overlap-')).length >= 30);
      await sleep(300);
      expectExactlyOnce(await createdWith(p.eventLog, 'overlap-'), want);
      // both paths delivered them: the polling passes re-enqueued the 30 posts at least once
      expect((await counterValue(eventsEnqueued, { source: 'poll' })) - polled).toBeGreaterThanOrEqual(30);
    } finally {
      await scheduler.setPolling(false);
      await scheduler.close();
    }
  });

  test('WebSocket down past the grace → REST polling delivers; back up → polling off', async () => {
    const polled = await counterValue(eventsEnqueued, { source: 'poll' });
    fake.setFaults({ failNext: { path: '/api/v4/websocket', count: 100_000, status: 503 } });
    fake.dropWebSockets();
    await until('polling on', async () => (await ingestState(admin, p.keys))?.polling === true);
    const state = await ingestState(admin, p.keys);
    expect(state?.websocket).toBe('disconnected');
    expect(isIngestReady(state)).toBe(true);
    const want = Array.from({ length: 40 }, (_, i) => `down-${i}`);
    want.forEach((m, i) => post(['ing-a', 'ing-c'][i % 2], m));
    // delivered while the WebSocket is still down: by polling
    await until('40 polled posts', async () => (await createdWith(p.eventLog, 'down-')).length >= 40);
    expect((await counterValue(eventsEnqueued, { source: 'poll' })) - polled).toBeGreaterThanOrEqual(40);
    fake.setFaults({ clear: true });
    await waitConnected(admin, p.keys);
    await until('polling off', async () => (await ingestState(admin, p.keys))?.polling === false);
    await until('poll schedule removed', async () => {
      const q = startCatchupScheduler({
        connection: p.redis,
        keys: p.keys,
        pollIntervalMs: 1000,
        presenceIntervalMs: 1000,
        log: createLogger({ level: 'silent' }),
      });
      try {
        return !(await q.isPolling());
      } finally {
        await q.close();
      }
    });
    await sleep(500); // the replay of the same posts after the reconnect adds nothing
    expectExactlyOnce(await createdWith(p.eventLog, 'down-'), want);
  });

  test('a member added to and removed from a channel → one member.added, one member.removed', async () => {
    const channel = fake.channel('ing-p');
    const carol = fake.user('carol');
    const members = async () =>
      (await allUpdates(p.eventLog, { types: ['member.added', 'member.removed'], channels: [channel.id] })).filter(
        (u) => u.userId === carol.id,
      );
    const admin4 = new Client4();
    admin4.setUrl(fake.url);
    admin4.setToken(fake.token('admin'));
    await admin4.addToChannel(carol.id, channel.id);
    await until('member.added', async () => (await members()).length >= 1);
    await admin4.removeFromChannel(carol.id, channel.id);
    await until('member.removed', async () => (await members()).length >= 2);
    await sleep(300);
    expect((await members()).map((u) => u.type)).toEqual(['member.added', 'member.removed']);
  });

  test('a presence change → one status.changed', async () => {
    const bob = fake.user('bob');
    const statuses = async () =>
      (await allUpdates(p.eventLog, { types: ['status.changed'] })).filter((u) => u.userId === bob.id);
    // the first poll records a baseline: wait until bob is known
    await until('bob baseline', async () => (await admin.hexists(p.keys.presence, bob.id)) === 1);
    const before = (await statuses()).length;
    const client = new Client4();
    client.setUrl(fake.url);
    client.setToken(fake.token('bob'));
    await client.updateStatus({ user_id: bob.id, status: 'dnd' } as never);
    await until('status.changed for bob', async () => (await statuses()).length > before);
    await sleep(2500); // two more presence passes must not repeat it
    const after = await statuses();
    expect(after.length - before).toBe(1);
    const last = after[after.length - 1];
    expect(last.type).toBe('status.changed');
    expect((last.data as { status: { status: string } }).status.status).toBe('dnd');
  });
});
