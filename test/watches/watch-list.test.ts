import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { redisKeys } from '../../src/redis/keys';
import { ChannelPolicy } from '../../src/policy/channel-policy';
import { RedisWatchList, WatchRefusedError, subscribeWatchChanges, type WatchChange } from '../../src/watches';
import { CHANNELS, FixedDirectory, TEAM } from '../pipeline/fixtures';

describe('RedisWatchList', () => {
  let redis: Redis;
  const prefix = testPrefix('watches');
  let n = 0;

  function make(
    opts: { allow?: string[]; deny?: string[]; allowDirect?: boolean; teams?: string[]; cacheMs?: number } = {},
  ) {
    const keys = redisKeys(`${prefix}:${++n}`);
    const policy = new ChannelPolicy({
      allow: opts.allow ?? [],
      deny: opts.deny ?? [],
      allowDirect: opts.allowDirect ?? false,
    });
    const list = new RedisWatchList({
      redis,
      keys,
      directory: new FixedDirectory(),
      policy,
      teams: opts.teams ?? [],
      cacheMs: opts.cacheMs,
    });
    return { list, keys, policy };
  }

  const entry = (c: { id: string; name: string; team_id: string }) => ({
    channelId: c.id,
    channelName: c.name,
    teamId: c.team_id,
    addedBy: '@alice',
  });

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  test('empty list: every team channel is streamed, DMs only when allowed', async () => {
    const { list } = make();
    expect(await list.list()).toEqual([]);
    expect(await list.isStreamed(CHANNELS.town.id)).toBe(true);
    expect(await list.isStreamed(CHANNELS.dev.id)).toBe(true);
    expect(await list.isStreamed(CHANNELS.dm.id)).toBe(false);
    expect(await list.isStreamed(CHANNELS.dm.id, { type: 'D' })).toBe(false);
    expect(await make({ allowDirect: true }).list.isStreamed(CHANNELS.dm.id)).toBe(true);
  });

  test('add / remove: only watched channels are streamed while the list is not empty; changes are published', async () => {
    const { list, keys } = make();
    const changes: WatchChange[] = [];
    const unsubscribe = await subscribeWatchChanges(redis, keys, (c) => changes.push(c));
    try {
      expect(await list.add(entry(CHANNELS.town))).toBe(true);
      expect(await list.add(entry(CHANNELS.town))).toBe(false);
      const [watched] = await list.list();
      expect(watched).toMatchObject(entry(CHANNELS.town));
      expect(new Date(watched.addedAt).toISOString()).toBe(watched.addedAt);
      expect(await list.isStreamed(CHANNELS.town.id)).toBe(true);
      expect(await list.isStreamed(CHANNELS.offTopic.id)).toBe(false);

      expect(await list.remove(CHANNELS.town.id)).toBe(true);
      expect(await list.remove(CHANNELS.town.id)).toBe(false);
      expect(await list.isStreamed(CHANNELS.offTopic.id)).toBe(true);

      const deadline = Date.now() + 5000;
      while (changes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(changes.map((c) => [c.op, c.channelId])).toEqual([
        ['add', CHANNELS.town.id],
        ['remove', CHANNELS.town.id],
      ]);
    } finally {
      await unsubscribe();
    }
  });

  test('another process sees the change after its cache expires', async () => {
    const a = make();
    const b = new RedisWatchList({
      redis,
      keys: a.keys,
      directory: new FixedDirectory(),
      policy: a.policy,
      teams: [],
      cacheMs: 0,
    });
    expect(await b.isStreamed(CHANNELS.offTopic.id)).toBe(true);
    await a.list.add(entry(CHANNELS.dev));
    expect(await b.isStreamed(CHANNELS.offTopic.id)).toBe(false);
    expect(await b.isStreamed(CHANNELS.dev.id)).toBe(true);
  });

  test('policy applies: a denied channel is neither added nor streamed', async () => {
    const { list } = make({ deny: ['~off-topic'] });
    await expect(list.add(entry(CHANNELS.offTopic))).rejects.toThrow(WatchRefusedError);
    await expect(list.add(entry(CHANNELS.offTopic))).rejects.toThrow(
      'cannot watch this channel: channel ~off-topic is denied by BRIDGE_CHANNELS_DENY; remove it from that list to allow it',
    );
    expect(await list.list()).toEqual([]);
    expect(await list.isStreamed(CHANNELS.offTopic.id)).toBe(false);
    expect(await list.isStreamed(CHANNELS.town.id)).toBe(true);
  });

  test('team scope (BRIDGE_TEAMS, by name or id) applies', async () => {
    const other = make({ teams: ['other-team'] });
    expect(await other.list.isStreamed(CHANNELS.town.id)).toBe(false);
    expect(await other.list.explain(CHANNELS.town.id)).toEqual({
      ok: false,
      reason:
        'channel ~town-square is in team acme, outside BRIDGE_TEAMS (other-team); add the team there to stream it',
    });
    expect(await make({ teams: ['ACME'] }).list.isStreamed(CHANNELS.town.id)).toBe(true);
    expect(await make({ teams: [TEAM.id] }).list.isStreamed(CHANNELS.town.id)).toBe(true);
  });

  test('an unknown channel is kept out unless DMs are allowed (it might be one)', async () => {
    const unknown = 'unknownunknownunknownunkno';
    expect(await make().list.isStreamed(unknown)).toBe(false);
    expect(await make().list.isStreamed(unknown, { teamId: TEAM.id, name: 'new-channel' })).toBe(true);
    expect(await make({ allowDirect: true }).list.isStreamed(unknown)).toBe(true);
  });
});
