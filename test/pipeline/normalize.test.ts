import fc from 'fast-check';
import { normalizeEvent, type NormalizeContext, type NormalizeResult } from '../../src/pipeline/normalize/normalize';
import { postToRawEvents, postListToRawEvents } from '../../src/pipeline/normalize/rest';
import { commandAnswered, commandInvoked } from '../../src/pipeline/normalize/commands';
import { partitionKey } from '../../src/pipeline/normalize/frame';
import { statusChanged } from '../../src/pipeline/normalize';
import { CHANNELS, FixedDirectory, TEAM, USERS, broadcast, postedFrame, restPost } from './fixtures';

const META = { receivedAt: 1763683205000, connectionId: 'conn4ctionid0000000000000a' };
const T0 = 1763683200000;
const ISO0 = '2025-11-21T00:00:00.000Z';

function ctx(): NormalizeContext & { directory: FixedDirectory } {
  return { directory: new FixedDirectory(), botUserId: USERS.bot.id };
}

async function one(raw: unknown, c = ctx()) {
  const res = await normalizeEvent(raw, META, c);
  if (!res.ok) throw new Error(`skipped: ${res.reason} ${res.detail}`);
  expect(res.updates).toHaveLength(1);
  return res.updates[0];
}

const townPosts = `mattermost://channels/${CHANNELS.town.id}/posts`;

describe('golden: posts', () => {
  test('posted → post.created in the channel, thread and new-posts streams', async () => {
    const u = await one(postedFrame({ id: 'postpostpostpostpostpost01', message: 'hi all', file_ids: ['f1'] }));
    expect(u).toEqual({
      eventId: 'post.created:postpostpostpostpostpost01',
      type: 'post.created',
      uri: townPosts,
      at: ISO0,
      teamId: TEAM.id,
      channelId: CHANNELS.town.id,
      userId: USERS.alice.id,
      data: {
        post: {
          id: 'postpostpostpostpostpost01',
          channelId: CHANNELS.town.id,
          channelName: 'town-square',
          channelType: 'O',
          teamId: TEAM.id,
          teamName: 'acme',
          userId: USERS.alice.id,
          username: 'alice',
          message: 'hi all',
          rootId: '',
          type: '',
          createAt: ISO0,
          updateAt: ISO0,
          isPinned: false,
          fileIds: ['f1'],
        },
      },
      uris: [townPosts, 'mattermost://posts/postpostpostpostpostpost01/thread', 'mattermost://new_channel_posts'],
    });
  });

  test('a reply goes to its root thread; mentions of the bot go to mattermost://mentions', async () => {
    const u = await one(
      postedFrame({
        id: 'replyreplyreplyreplyreply1',
        root_id: 'rootrootrootrootrootroot01',
        message: 'ping @Bridge-Bot!',
      }),
    );
    expect(u.data.post).toMatchObject({ rootId: 'rootrootrootrootrootroot01' });
    expect(u.uris).toEqual([
      townPosts,
      'mattermost://posts/rootrootrootrootrootroot01/thread',
      'mattermost://new_channel_posts',
      'mattermost://mentions',
    ]);
  });

  test('mention by the server (data.mentions) and DMs to the bot are mentions; @bridge-botty and the bot itself are not', async () => {
    const byServer = await one(postedFrame({ message: 'hey' }, 1, { mentions: JSON.stringify([USERS.bot.id]) }));
    expect(byServer.uris).toContain('mattermost://mentions');
    const dm = await one(postedFrame({ channel: CHANNELS.dm, message: 'private' }));
    expect(dm.uris).toContain('mattermost://mentions');
    expect(dm.teamId).toBeUndefined();
    const other = await one(postedFrame({ message: 'hi @bridge-botty and bridge-bot' }));
    expect(other.uris).not.toContain('mattermost://mentions');
    const own = await one(postedFrame({ user: USERS.bot, message: 'I am @bridge-bot' }));
    expect(own.uris).not.toContain('mattermost://mentions');
  });

  test('post_edited → post.edited keyed by edit_at', async () => {
    const post = restPost({ id: 'editeditediteditediteditd1', message: 'fixed', edit_at: T0 + 60_000 });
    const u = await one({
      event: 'post_edited',
      data: { post: JSON.stringify(post) },
      broadcast: broadcast({ channel_id: CHANNELS.town.id }),
      seq: 7,
    });
    expect(u).toMatchObject({
      eventId: `post.edited:editeditediteditediteditd1:${T0 + 60_000}`,
      type: 'post.edited',
      uri: townPosts,
      at: '2025-11-21T00:01:00.000Z',
      channelId: CHANNELS.town.id,
      teamId: TEAM.id,
      uris: [townPosts, 'mattermost://posts/editeditediteditediteditd1/thread'],
    });
    expect(u.data.post).toMatchObject({
      message: 'fixed',
      channelName: 'town-square',
      editAt: '2025-11-21T00:01:00.000Z',
    });
  });

  test('post_deleted → post.deleted', async () => {
    const post = restPost({ id: 'deldeldeldeldeldeldeldel01', delete_at: T0 + 1000 });
    const u = await one({
      event: 'post_deleted',
      data: { post: JSON.stringify(post) },
      broadcast: broadcast({ channel_id: CHANNELS.town.id }),
      seq: 8,
    });
    expect(u).toMatchObject({
      eventId: 'post.deleted:deldeldeldeldeldeldeldel01',
      type: 'post.deleted',
      at: '2025-11-21T00:00:01.000Z',
      uris: [townPosts, 'mattermost://posts/deldeldeldeldeldeldeldel01/thread'],
    });
  });
});

describe('golden: reactions, status, channels, members, users', () => {
  const reaction = {
    user_id: USERS.bob.id,
    post_id: 'postpostpostpostpostpost01',
    emoji_name: 'thumbsup',
    create_at: T0 + 5,
  };

  test('reaction_added → reaction.added', async () => {
    const u = await one({
      event: 'reaction_added',
      data: { reaction: JSON.stringify(reaction) },
      broadcast: broadcast({ channel_id: CHANNELS.town.id }),
      seq: 3,
    });
    expect(u).toEqual({
      eventId: `reaction.added:postpostpostpostpostpost01:${USERS.bob.id}:thumbsup:${T0 + 5}`,
      type: 'reaction.added',
      uri: 'mattermost://reactions',
      at: '2025-11-21T00:00:00.005Z',
      teamId: TEAM.id,
      channelId: CHANNELS.town.id,
      userId: USERS.bob.id,
      data: {
        reaction: {
          postId: 'postpostpostpostpostpost01',
          userId: USERS.bob.id,
          username: 'bob',
          emojiName: 'thumbsup',
          channelId: CHANNELS.town.id,
          channelName: 'town-square',
          createAt: '2025-11-21T00:00:00.005Z',
        },
      },
      uris: ['mattermost://reactions'],
    });
  });

  test('reaction_removed → reaction.removed keyed by delete_at', async () => {
    const u = await one({
      event: 'reaction_removed',
      data: { reaction: JSON.stringify({ ...reaction, delete_at: T0 + 99, channel_id: CHANNELS.town.id }) },
      broadcast: broadcast({ channel_id: CHANNELS.town.id }),
      seq: 4,
    });
    expect(u).toMatchObject({
      eventId: `reaction.removed:postpostpostpostpostpost01:${USERS.bob.id}:thumbsup:${T0 + 99}`,
      type: 'reaction.removed',
      at: '2025-11-21T00:00:00.099Z',
      uris: ['mattermost://reactions'],
    });
  });

  test('status_change → status.changed on the user status stream', async () => {
    const u = await one({
      event: 'status_change',
      data: { status: 'away', user_id: USERS.alice.id },
      broadcast: broadcast({ user_id: USERS.alice.id }),
      seq: 9,
    });
    expect(u).toEqual({
      eventId: `status.changed:${USERS.alice.id}:away:${META.connectionId}:9`,
      type: 'status.changed',
      uri: `mattermost://users/${USERS.alice.id}/status`,
      at: new Date(META.receivedAt).toISOString(),
      userId: USERS.alice.id,
      data: { status: { userId: USERS.alice.id, username: 'alice', status: 'away' } },
      uris: [`mattermost://users/${USERS.alice.id}/status`],
    });
    expect(statusChanged({ userId: USERS.bob.id, status: 'dnd', at: T0 })).toMatchObject({
      eventId: `status.changed:${USERS.bob.id}:dnd:${T0}`,
      at: ISO0,
      uris: [`mattermost://users/${USERS.bob.id}/status`],
    });
  });

  test('channel_created → channel.created with the channel resolved', async () => {
    const u = await one({
      event: 'channel_created',
      data: { channel_id: CHANNELS.dev.id, team_id: TEAM.id },
      broadcast: broadcast({ user_id: USERS.alice.id }),
      seq: 2,
    });
    expect(u).toEqual({
      eventId: `channel.created:${CHANNELS.dev.id}`,
      type: 'channel.created',
      uri: `mattermost://channels/${CHANNELS.dev.id}/posts`,
      at: new Date(META.receivedAt).toISOString(),
      teamId: TEAM.id,
      channelId: CHANNELS.dev.id,
      userId: USERS.alice.id,
      data: {
        channel: { id: CHANNELS.dev.id, name: 'dev', displayName: 'Dev', type: 'P', teamId: TEAM.id, teamName: 'acme' },
      },
      uris: [],
    });
  });

  test('direct_added → channel.created of type D', async () => {
    const u = await one({
      event: 'direct_added',
      data: { creator_id: USERS.alice.id, teammate_id: USERS.bot.id },
      broadcast: broadcast({ channel_id: CHANNELS.dm.id }),
      seq: 2,
    });
    expect(u).toMatchObject({
      eventId: `channel.created:${CHANNELS.dm.id}`,
      type: 'channel.created',
      userId: USERS.alice.id,
    });
    expect(u.data.channel).toMatchObject({ id: CHANNELS.dm.id, type: 'D' });
  });

  test('channel_updated → channel.updated and the directory entry is invalidated', async () => {
    const c = ctx();
    const channel = { ...CHANNELS.town, display_name: 'Town Hall', header: 'news', update_at: T0 + 7 };
    const u = await one(
      {
        event: 'channel_updated',
        data: { channel: JSON.stringify(channel) },
        broadcast: broadcast({ channel_id: channel.id }),
        seq: 5,
      },
      c,
    );
    expect(u).toMatchObject({
      eventId: `channel.updated:${channel.id}:${T0 + 7}`,
      type: 'channel.updated',
      at: '2025-11-21T00:00:00.007Z',
      data: {
        channel: { id: channel.id, name: 'town-square', displayName: 'Town Hall', header: 'news', teamName: 'acme' },
      },
    });
    expect(c.directory.invalidated).toEqual([`channel:${channel.id}`]);
  });

  test('channel_deleted → channel.deleted', async () => {
    const c = ctx();
    const u = await one(
      {
        event: 'channel_deleted',
        data: { channel_id: CHANNELS.offTopic.id, delete_at: T0 + 8 },
        broadcast: broadcast({ team_id: TEAM.id }),
        seq: 6,
      },
      c,
    );
    expect(u).toMatchObject({
      eventId: `channel.deleted:${CHANNELS.offTopic.id}:${T0 + 8}`,
      type: 'channel.deleted',
      channelId: CHANNELS.offTopic.id,
      teamId: TEAM.id,
    });
    expect(c.directory.invalidated).toEqual([`channel:${CHANNELS.offTopic.id}`]);
  });

  test('user_added / user_removed → member.added / member.removed (id from the delivery)', async () => {
    const added = await one({
      event: 'user_added',
      data: { team_id: TEAM.id, user_id: USERS.bob.id },
      broadcast: broadcast({ channel_id: CHANNELS.dev.id }),
      seq: 11,
    });
    expect(added).toEqual({
      eventId: `member.added:${CHANNELS.dev.id}:${USERS.bob.id}:${META.connectionId}:11`,
      type: 'member.added',
      uri: `mattermost://channels/${CHANNELS.dev.id}/posts`,
      at: new Date(META.receivedAt).toISOString(),
      teamId: TEAM.id,
      channelId: CHANNELS.dev.id,
      userId: USERS.bob.id,
      data: { member: { channelId: CHANNELS.dev.id, channelName: 'dev', userId: USERS.bob.id, username: 'bob' } },
      uris: [],
    });
    const removed = await one({
      event: 'user_removed',
      data: { remover_id: USERS.alice.id, user_id: USERS.bob.id },
      broadcast: broadcast({ channel_id: CHANNELS.dev.id }),
      seq: 12,
    });
    expect(removed).toMatchObject({
      eventId: `member.removed:${CHANNELS.dev.id}:${USERS.bob.id}:${META.connectionId}:12`,
      type: 'member.removed',
      data: { member: { actorId: USERS.alice.id } },
    });
  });

  test('membership ids: a replay of the same delivery is the same id, another delivery is not', async () => {
    const frame = {
      event: 'user_added',
      data: { team_id: TEAM.id, user_id: USERS.bob.id },
      broadcast: broadcast({ channel_id: CHANNELS.dev.id }),
      seq: 11,
    };
    const a = await one(frame);
    const replay = await one({ ...frame });
    const later = await one({ ...frame, seq: 40 });
    expect(replay.eventId).toBe(a.eventId);
    expect(later.eventId).not.toBe(a.eventId);
    const polled = await one({
      event: 'status_change',
      data: { user_id: USERS.bob.id, status: 'dnd', at: T0 },
      broadcast: broadcast(),
    });
    expect(polled).toMatchObject({
      eventId: statusChanged({ userId: USERS.bob.id, status: 'dnd', at: T0 }).eventId,
      at: ISO0,
    });
  });

  test('new_user → user.created; user_updated → user.updated + invalidation', async () => {
    const created = await one({ event: 'new_user', data: { user_id: USERS.bob.id }, broadcast: broadcast(), seq: 1 });
    expect(created).toMatchObject({
      eventId: `user.created:${USERS.bob.id}`,
      type: 'user.created',
      uri: 'mattermost://events',
      userId: USERS.bob.id,
      data: { user: { id: USERS.bob.id, username: 'bob' } },
      uris: [],
    });
    const c = ctx();
    const updated = await one(
      {
        event: 'user_updated',
        data: { user: { id: USERS.bob.id, username: 'bobby', nickname: 'B', update_at: T0 + 3, email: '' } },
        broadcast: broadcast(),
        seq: 2,
      },
      c,
    );
    expect(updated).toMatchObject({
      eventId: `user.updated:${USERS.bob.id}:${T0 + 3}`,
      type: 'user.updated',
      data: { user: { id: USERS.bob.id, username: 'bobby', nickname: 'B' } },
    });
    expect(c.directory.invalidated).toEqual([`user:${USERS.bob.id}`]);
  });

  test('command.invoked / command.answered builders', () => {
    expect(
      commandInvoked({
        requestId: 'req1',
        channelId: CHANNELS.town.id,
        teamId: TEAM.id,
        userId: USERS.alice.id,
        username: 'alice',
        command: '/mcp',
        text: 'summarize',
        at: T0,
      }),
    ).toEqual({
      eventId: 'command.invoked:req1',
      type: 'command.invoked',
      uri: 'mattermost://commands',
      at: ISO0,
      teamId: TEAM.id,
      channelId: CHANNELS.town.id,
      userId: USERS.alice.id,
      data: {
        requestId: 'req1',
        command: {
          requestId: 'req1',
          channelId: CHANNELS.town.id,
          userId: USERS.alice.id,
          username: 'alice',
          command: '/mcp',
          text: 'summarize',
          status: 'open',
        },
      },
      uris: ['mattermost://commands'],
    });
    expect(commandAnswered({ requestId: 'req1', channelId: CHANNELS.town.id, message: 'done', at: T0 })).toMatchObject({
      eventId: 'command.answered:req1',
      type: 'command.answered',
      uri: 'mattermost://commands',
      data: { requestId: 'req1', answer: { message: 'done', status: 'answered' } },
      uris: ['mattermost://commands'],
    });
  });
});

describe('REST catch-up gives the same event ids', () => {
  test('a post created, edited and deleted while away: created < edited < deleted', async () => {
    const post = restPost({
      id: 'restrestrestrestrestrest01',
      create_at: T0 + 10,
      edit_at: T0 + 20,
      delete_at: T0 + 30,
    });
    const raws = postToRawEvents(post as never, { since: T0, channel: CHANNELS.town as never });
    expect(raws.map((r) => r.event)).toEqual(['posted', 'post_edited', 'post_deleted']);
    const ids: string[] = [];
    for (const r of raws) ids.push((await one(r)).eventId);
    expect(ids).toEqual([
      'post.created:restrestrestrestrestrest01',
      `post.edited:restrestrestrestrestrest01:${T0 + 20}`,
      'post.deleted:restrestrestrestrestrest01',
    ]);
  });

  test('the same post over the WebSocket and over REST → the same record', async () => {
    const ws = await one(postedFrame({ id: 'samesamesamesamesamesame01', message: 'same' }));
    const [raw] = postToRawEvents(restPost({ id: 'samesamesamesamesamesame01', message: 'same' }) as never, {
      channel: CHANNELS.town as never,
    });
    const rest = await one(raw);
    expect(rest).toEqual(ws);
  });

  test('changes at or before `since` are not repeated; reactions after it are', async () => {
    const post = {
      ...restPost({ id: 'oldoldoldoldoldoldoldold01', create_at: T0 - 100, edit_at: T0 + 50 }),
      metadata: {
        reactions: [
          { user_id: USERS.bob.id, post_id: 'oldoldoldoldoldoldoldold01', emoji_name: 'tada', create_at: T0 + 40 },
          { user_id: USERS.alice.id, post_id: 'oldoldoldoldoldoldoldold01', emoji_name: 'old', create_at: T0 - 1 },
        ],
      },
    };
    const list = {
      order: [post.id],
      posts: { [post.id]: post },
      next_post_id: '',
      prev_post_id: '',
      first_inaccessible_post_time: 0,
    };
    const raws = postListToRawEvents(list as never, { since: T0 });
    expect(raws.map((r) => r.event)).toEqual(['reaction_added', 'post_edited']);
    expect((await one(raws[0])).eventId).toBe(
      `reaction.added:oldoldoldoldoldoldoldold01:${USERS.bob.id}:tada:${T0 + 40}`,
    );
  });
});

describe('skipped events', () => {
  async function skip(raw: unknown): Promise<Extract<NormalizeResult, { ok: false }>> {
    const res = await normalizeEvent(raw, META, ctx());
    if (res.ok) throw new Error('expected a skip');
    return res;
  }

  test('ignored, unknown and malformed events are told apart', async () => {
    expect(
      (await skip({ event: 'typing', data: { parent_id: '', user_id: USERS.bob.id }, broadcast: broadcast(), seq: 1 }))
        .reason,
    ).toBe('ignored');
    expect((await skip({ event: 'hello', data: { connection_id: 'x' }, broadcast: broadcast(), seq: 0 })).reason).toBe(
      'ignored',
    );
    expect(await skip({ event: 'brand_new_event', data: {}, broadcast: broadcast(), seq: 1 })).toMatchObject({
      reason: 'unknown',
      event: 'brand_new_event',
    });
    expect(await skip({ event: 'posted', data: { post: '{not json' }, broadcast: broadcast(), seq: 1 })).toMatchObject({
      reason: 'malformed',
      detail: expect.stringContaining('data.post'),
    });
    expect(
      (await skip({ event: 'posted', data: { post: JSON.stringify({ id: 'x' }) }, broadcast: broadcast(), seq: 1 }))
        .reason,
    ).toBe('malformed');
    expect((await skip({ seq_reply: 1, status: 'OK' })).reason).toBe('malformed');
    expect((await skip('garbage')).reason).toBe('malformed');
    expect((await skip({ event: 'reaction_added', data: 'x', broadcast: {} })).reason).toBe('malformed');
  });

  test('a failing directory does not lose the event (names are left out)', async () => {
    const c = ctx();
    c.directory.user = async () => {
      throw new Error('mattermost down');
    };
    c.directory.channel = async () => {
      throw new Error('mattermost down');
    };
    const u = await one(
      {
        event: 'reaction_added',
        data: { reaction: JSON.stringify({ user_id: USERS.bob.id, post_id: 'p', emoji_name: 'x', create_at: T0 }) },
        broadcast: broadcast({ channel_id: CHANNELS.town.id }),
      },
      c,
    );
    expect(u.data.reaction).toEqual({
      postId: 'p',
      userId: USERS.bob.id,
      emojiName: 'x',
      channelId: CHANNELS.town.id,
      createAt: ISO0,
    });
  });

  test('property: no frame, however broken, makes the normalizer throw', async () => {
    const events = fc.constantFrom(
      'posted',
      'post_edited',
      'post_deleted',
      'reaction_added',
      'reaction_removed',
      'status_change',
      'channel_created',
      'channel_updated',
      'channel_deleted',
      'user_added',
      'user_removed',
      'new_user',
      'user_updated',
      'direct_added',
      'group_added',
      'channel_converted',
      'typing',
      'zzz',
    );
    const fieldValue = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.json(),
      fc.integer(),
      fc.constant(JSON.stringify(restPost())),
      fc
        .record({ id: fc.string(), create_at: fc.oneof(fc.integer(), fc.double(), fc.string()), user_id: fc.string() })
        .map((o) => JSON.stringify(o)),
    );
    const data = fc.dictionary(
      fc.constantFrom(
        'post',
        'reaction',
        'channel',
        'user',
        'user_id',
        'channel_id',
        'status',
        'team_id',
        'delete_at',
        'mentions',
        'channel_type',
        'channel_name',
      ),
      fieldValue,
    );
    const frame = fc.oneof(
      fc.anything(),
      fc.record(
        {
          event: events,
          data: fc.oneof(data, fc.anything()),
          broadcast: fc.oneof(fc.anything(), fc.record({ channel_id: fc.string(), user_id: fc.string() })),
          seq: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (raw) => {
        const res = await normalizeEvent(raw, META, ctx());
        expect(typeof res.ok).toBe('boolean');
        expect(typeof partitionKey(raw)).toBe('string');
        if (res.ok) for (const u of res.updates) expect(() => new Date(u.at).toISOString()).not.toThrow();
      }),
      { numRuns: 1500 },
    );
  });
});
