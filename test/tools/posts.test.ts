/** Toolset `posts` against the fake Mattermost. */
import { errorOf, ToolWorld, type ToolAnswer } from './harness';

let world: ToolWorld;
beforeAll(async () => {
  world = await ToolWorld.start();
});
afterAll(async () => {
  await world.stop();
});

type PostOut = { id: string; message: string; user: string; root_id: string; reply_count: number; channel: string };
const posts = (r: ToolAnswer) => (r.structuredContent as { posts: PostOut[] }).posts;
const s = <T>(r: ToolAnswer) => r.structuredContent as T;
const say = (user: string, channel: string, message: string, root_id?: string) =>
  world.fake.post({ user, channel, message, root_id }) as { id: string; create_at: number };

describe('read_channel', () => {
  let first: { id: string };
  let root: { id: string };
  beforeAll(() => {
    first = say('alice', 'off-topic', 'first words');
    root = say('bob', 'off-topic', 'a question\nwith two lines');
    say('alice', 'off-topic', 'an answer', root.id);
    for (let i = 0; i < 5; i++) say('alice', 'off-topic', `chatter ${i}`);
  });

  it('reads the latest posts oldest first, with names, ISO times and thread markers', async () => {
    const r = await world.call('read_channel', { channel: '~off-topic', limit: 10 });
    expect(r.isError).toBeFalsy();
    const got = posts(r);
    expect(got.map((p) => p.message)).toEqual([
      'first words',
      'a question\nwith two lines',
      'an answer',
      'chatter 0',
      'chatter 1',
      'chatter 2',
      'chatter 3',
      'chatter 4',
    ]);
    expect(got[1]).toMatchObject({ user: '@bob', reply_count: 1, channel: '~off-topic' });
    expect(got[2].root_id).toBe(root.id);
    expect(r.text).toMatch(/^~off-topic \(channel id [a-z0-9]{26}\): 8 post\(s\), oldest first\./);
    expect(r.text).toMatch(
      /- \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z @bob \(post [a-z0-9]{26}\) \[thread: 1 reply\]:\n {2}a question\n {2}with two lines/,
    );
    expect(r.text).toContain(`[reply in thread ${root.id}]`);
    expect(s<{ next_cursor: string }>(r).next_cursor).toBe('');
  });

  it('pages back with the cursor it prints, and polls forward with newer_cursor', async () => {
    const page1 = await world.call('read_channel', { channel: '~off-topic', limit: 3 });
    expect(posts(page1).map((p) => p.message)).toEqual(['chatter 2', 'chatter 3', 'chatter 4']);
    const { next_cursor, newer_cursor } = s<{ next_cursor: string; newer_cursor: string }>(page1);
    expect(next_cursor).toMatch(/^before:[a-z0-9]{26}$/);
    expect(page1.text).toContain(
      `More: call read_channel with {"channel":"~off-topic","limit":3,"cursor":"${next_cursor}"}`,
    );
    const page2 = await world.call('read_channel', { channel: '~off-topic', limit: 3, cursor: next_cursor });
    expect(posts(page2).map((p) => p.message)).toEqual(['an answer', 'chatter 0', 'chatter 1']);

    say('bob', 'off-topic', 'something new');
    const newer = await world.call('read_channel', { channel: '~off-topic', cursor: newer_cursor });
    expect(posts(newer).map((p) => p.message)).toEqual(['something new']);
  });

  it('reads everything since a time, and around a post', async () => {
    const r = await world.call('read_channel', { channel: 'acme:off-topic', after: first.id, limit: 2 });
    expect(posts(r).map((p) => p.message)).toEqual(['a question\nwith two lines', 'an answer']);
    expect(s<{ next_cursor: string }>(r).next_cursor).toMatch(/^after:/);

    const t = new Date(say('alice', 'off-topic', 'marker').create_at - 1).toISOString();
    say('alice', 'off-topic', 'after marker');
    const since = await world.call('read_channel', { channel: '~off-topic', since: t });
    expect(posts(since).map((p) => p.message)).toEqual(['marker', 'after marker']);
  });

  it('refuses contradictory or malformed paging', async () => {
    const both = errorOf(
      await world.call('read_channel', { channel: '~off-topic', since: '2026-01-01T00:00:00Z', before: first.id }),
    );
    expect(both).toMatchObject({ category: 'validation' });
    expect(both.message).toMatch(/at most one of/);
    expect(errorOf(await world.call('read_channel', { channel: '~off-topic', cursor: 'page:2' })).message).toMatch(
      /not a read_channel cursor/,
    );
    expect(errorOf(await world.call('read_channel', { channel: '~off-topic', since: 'yesterday' })).category).toBe(
      'validation',
    );
    expect(errorOf(await world.call('read_channel', { channel: '~off-topic', limit: 500 })).message).toMatch(
      /at most 200/,
    );
    expect(errorOf(await world.call('read_channel', { channel: '~off-topic', before: 'not-an-id' })).message).toMatch(
      /26 characters/,
    );
  });

  it('says what to call when the channel does not exist', async () => {
    const e = errorOf(await world.call('read_channel', { channel: '~town-sqare' }));
    expect(e).toEqual({
      category: 'not_found',
      message: "channel ~town-sqare not found in the bot's teams (acme); call list_channels",
    });
    expect(errorOf(await world.call('read_channel', { channel: 'nope:town-square' })).message).toMatch(
      /call list_teams/,
    );
    expect(errorOf(await world.call('read_channel', { channel: 'ybndrfg8ejkmcpqxot1uwisza3' })).category).toBe(
      'not_found',
    );
    expect(errorOf(await world.call('read_channel', { channel: '#general' })).category).toBe('validation');
  });

  it('refuses channels outside the policy and says how to allow them', async () => {
    const denied = errorOf(
      await world.call('read_channel', { channel: '~off-topic' }, { policy: { deny: ['~off-topic'] } }),
    );
    expect(denied.category).toBe('forbidden');
    expect(denied.message).toMatch(
      /^~off-topic is off limits for this API key: .*deny list of the channel rules of API key test-key; remove it/,
    );
    const notAllowed = errorOf(
      await world.call('read_channel', { channel: '~off-topic' }, { policy: { allow: ['~dev'] } }),
    );
    expect(notAllowed.category).toBe('forbidden');
    expect(notAllowed.message).toMatch(/not in the allow list of the channel rules of API key test-key/);
    expect(
      (await world.call('read_channel', { channel: '~dev' }, { policy: { allow: ['~dev'] } })).isError,
    ).toBeFalsy();
  });

  it('applies the global policy from BRIDGE_CHANNELS_ALLOW / BRIDGE_CHANNELS_DENY', async () => {
    const strict = await ToolWorld.start({
      fake: world.fake,
      env: { BRIDGE_CHANNELS_ALLOW: '~dev,~off-topic', BRIDGE_CHANNELS_DENY: 'acme:off-topic' },
    });
    try {
      const outside = errorOf(await strict.call('read_channel', { channel: '~town-square' }));
      expect(outside.message).toMatch(/BRIDGE_CHANNELS_ALLOW.*add it there/);
      const denied = errorOf(await strict.call('create_post', { channel: '~off-topic', message: 'x' }));
      expect(denied.message).toMatch(/BRIDGE_CHANNELS_DENY; remove it/);
      expect((await strict.call('read_channel', { channel: '~dev' })).isError).toBeFalsy();
      // a key cannot widen the global policy
      const widened = errorOf(
        await strict.call('read_channel', { channel: '~town-square' }, { policy: { allow: ['~town-square'] } }),
      );
      expect(widened.category).toBe('forbidden');
    } finally {
      await strict.stop();
    }
  });
});

describe('direct messages', () => {
  it('are refused unless policy allows them, with the way to enable them', async () => {
    const e = errorOf(await world.call('read_channel', { channel: '@alice' }));
    expect(e.category).toBe('forbidden');
    expect(e.message).toMatch(/BRIDGE_ALLOW_DIRECT=true/);
    const dm = world.fake.channel('alice__bridge-bot');
    const byId = errorOf(await world.call('read_channel', { channel: dm.id }));
    expect(byId.category).toBe('forbidden');
    expect(byId.message).toMatch(/DM with @alice is off limits.*BRIDGE_ALLOW_DIRECT=true/);
  });

  it('can be read and answered in a thread when allowed', async () => {
    const dmWorld = await ToolWorld.start({ fake: world.fake, env: { BRIDGE_ALLOW_DIRECT: 'true' } });
    try {
      const question = say('alice', 'alice__bridge-bot', 'can you help?');
      const read = await dmWorld.call('read_channel', { channel: '@alice' });
      expect(read.isError).toBeFalsy();
      expect(posts(read).map((p) => p.message)).toContain('can you help?');
      expect(posts(read)[0].channel).toBe('DM with @alice');
      const reply = await dmWorld.call('create_post', { root_id: question.id, message: 'sure' });
      expect(reply.isError).toBeFalsy();
      expect(s<{ post: PostOut }>(reply).post.root_id).toBe(question.id);
      // a key narrowed to no DMs still cannot
      const narrowed = errorOf(
        await dmWorld.call('read_channel', { channel: '@alice' }, { policy: { allowDirect: false } }),
      );
      expect(narrowed.category).toBe('forbidden');
    } finally {
      await dmWorld.stop();
    }
  });
});

describe('read_thread / read_post', () => {
  let root: { id: string };
  const replies: { id: string }[] = [];
  beforeAll(() => {
    root = say('alice', 'town-square', 'thread root');
    for (let i = 0; i < 5; i++) replies.push(say(i % 2 ? 'bob' : 'alice', 'town-square', `reply ${i}`, root.id));
  });

  it('reads a thread from any of its posts, or a permalink, in pages', async () => {
    const all = await world.call('read_thread', { post_id: replies[2].id });
    expect(posts(all).map((p) => p.message)).toEqual([
      'thread root',
      'reply 0',
      'reply 1',
      'reply 2',
      'reply 3',
      'reply 4',
    ]);
    const link = `${world.fake.url}/acme/pl/${root.id}`;
    const p1 = await world.call('read_thread', { post_id: link, limit: 4 });
    expect(posts(p1).map((p) => p.message)).toEqual(['thread root', 'reply 0', 'reply 1', 'reply 2']);
    const cursor = s<{ next_cursor: string }>(p1).next_cursor;
    expect(p1.text).toContain('More: call read_thread');
    const p2 = await world.call('read_thread', { post_id: root.id, limit: 4, cursor });
    expect(posts(p2).map((p) => p.message)).toEqual(['reply 3', 'reply 4']);
    expect(s<{ next_cursor: string }>(p2).next_cursor).toBe('');
  });

  it('reads one post with its permalink', async () => {
    const r = await world.call('read_post', { post_id: replies[0].id });
    expect(s<{ post: PostOut; permalink: string }>(r).permalink).toBe(`${world.fake.url}/acme/pl/${replies[0].id}`);
    expect(r.text).toContain('in ~town-square');
  });

  it('says how to find posts that do not exist', async () => {
    const e = errorOf(await world.call('read_post', { post_id: 'ybndrfg8ejkmcpqxot1uwisza3' }));
    expect(e.category).toBe('not_found');
    expect(e.message).toMatch(/call read_channel or search_posts/);
    expect(errorOf(await world.call('read_post', { post_id: 'https://x.org/team/channels/abc' })).message).toMatch(
      /permalink/,
    );
  });
});

describe('search_posts', () => {
  beforeAll(() => {
    say('alice', 'dev', 'the deploy failed on friday');
    say('bob', 'town-square', 'deploy looks fine');
    say('alice', 'town-square', 'exact release notes here');
  });

  it("supports Mattermost's syntax", async () => {
    const from = await world.call('search_posts', { terms: 'deploy from:alice' });
    expect(posts(from).map((p) => p.message)).toEqual(['the deploy failed on friday']);
    expect(from.text).toContain('in ~dev');
    const inCh = await world.call('search_posts', { terms: 'deploy in:town-square' });
    expect(posts(inCh).map((p) => p.message)).toEqual(['deploy looks fine']);
    const quoted = await world.call('search_posts', { terms: '"release notes"' });
    expect(posts(quoted).map((p) => p.message)).toEqual(['exact release notes here']);
    const none = await world.call('search_posts', { terms: 'zebra-unicorn' });
    expect(none.text).toMatch(/No matches/);
  });

  it('pages past the first page and reports progress', async () => {
    for (let i = 0; i < 130; i++) say('bob', 'town-square', `needle number ${i}`);
    const first = await world.call('search_posts', { terms: 'needle', limit: 100 }, { progressToken: 'p1' });
    expect(posts(first)).toHaveLength(100);
    expect(first.progress.length).toBeGreaterThan(0);
    const cursor = s<{ next_cursor: string }>(first).next_cursor;
    expect(cursor).toMatch(/^search:/);
    const second = await world.call('search_posts', { terms: 'needle', limit: 100, cursor });
    expect(posts(second)).toHaveLength(30);
    const seen = new Set([...posts(first), ...posts(second)].map((p) => p.id));
    expect(seen.size).toBe(130);
    expect(s<{ next_cursor: string }>(second).next_cursor).toBe('');
  });

  it('leaves out channels the key may not read, and counts them', async () => {
    const r = await world.call('search_posts', { terms: 'deploy' }, { policy: { deny: ['~dev'] } });
    expect(posts(r).map((p) => p.message)).toEqual(['deploy looks fine']);
    expect(s<{ hidden_by_policy: number }>(r).hidden_by_policy).toBe(1);
  });

  it('stops when the request is cancelled, also in the middle of a Mattermost request', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = errorOf(await world.call('search_posts', { terms: 'needle' }, { signal: ac.signal }));
    expect(e.message).toMatch(/cancelled/);

    world.fake.setFaults({ slow: { path: '/api/v4/teams/*/posts/search', delayMs: 600 } });
    try {
      const mid = new AbortController();
      const pending = world.call('search_posts', { terms: 'needle' }, { signal: mid.signal });
      setTimeout(() => mid.abort(), 100);
      expect(errorOf(await pending).message).toMatch(/cancelled/);
    } finally {
      world.fake.setFaults({ slow: null });
    }
  });
});

describe('create_post / update_post / delete_post / pin', () => {
  it('posts, replies in a thread, edits, pins and deletes', async () => {
    const created = await world.call('create_post', { channel: '~town-square', message: 'hello from the bot' });
    expect(created.isError).toBeFalsy();
    const post = s<{ post: PostOut; permalink: string }>(created).post;
    expect(post).toMatchObject({ user: '@bridge-bot', message: 'hello from the bot', channel: '~town-square' });
    expect(created.text).toMatch(/^Posted in ~town-square: post [a-z0-9]{26}/);

    const reply = await world.call('create_post', {
      root_id: `${world.fake.url}/acme/pl/${post.id}`,
      message: 'a reply',
    });
    expect(s<{ post: PostOut }>(reply).post.root_id).toBe(post.id);
    // replying to a reply lands in the same thread
    const reply2 = await world.call('create_post', {
      root_id: s<{ post: PostOut }>(reply).post.id,
      message: 'another',
    });
    expect(s<{ post: PostOut }>(reply2).post.root_id).toBe(post.id);

    const edited = await world.call('update_post', { post_id: post.id, message: 'hello, edited' });
    expect(s<{ post: PostOut & { edit_at: string } }>(edited).post.edit_at).not.toBe('');

    expect((await world.call('pin_post', { post_id: post.id })).text).toMatch(/^Pinned post/);
    expect(world.fake.store.posts.get(post.id)?.is_pinned).toBe(true);
    expect((await world.call('unpin_post', { post_id: post.id })).isError).toBeFalsy();
    expect(world.fake.store.posts.get(post.id)?.is_pinned).toBe(false);

    const deleted = await world.call('delete_post', { post_id: post.id });
    expect(s<{ deleted: boolean }>(deleted).deleted).toBe(true);
    expect(errorOf(await world.call('read_post', { post_id: post.id })).category).toBe('not_found');
  });

  it('refuses what it must, explaining why', async () => {
    const other = say('alice', 'town-square', 'not yours');
    const before = world.fake.store.posts.size;
    const e = errorOf(await world.call('update_post', { post_id: other.id, message: 'mine now' }));
    expect(e.category).toBe('forbidden');
    expect(e.message).toMatch(/only its own posts/);

    const long = errorOf(await world.call('create_post', { channel: '~town-square', message: 'x'.repeat(16_384) }));
    expect(long.category).toBe('validation');
    expect(long.message).toMatch(/16383/);
    expect(errorOf(await world.call('create_post', { message: 'where?' })).message).toMatch(/pass channel/);
    const mismatch = errorOf(
      await world.call('create_post', { channel: '~off-topic', root_id: other.id, message: 'x' }),
    );
    expect(mismatch.message).toMatch(/is in ~town-square, not in ~off-topic/);

    const ro = errorOf(
      await world.call('create_post', { channel: '~town-square', message: 'x' }, { scopes: ['read'] }),
    );
    expect(ro.category).toBe('forbidden');
    const denied = errorOf(
      await world.call(
        'create_post',
        { channel: '~town-square', message: 'x' },
        { policy: { deny: ['acme:town-square'] } },
      ),
    );
    expect(denied.category).toBe('forbidden');
    expect(denied.message).toMatch(/remove it from that list/);
    expect(world.fake.store.posts.size).toBe(before); // nothing was posted by the refused calls
  });
});

describe('a small output cap', () => {
  it('cuts pages at whole posts and the cursor resumes right after the last one shown', async () => {
    for (let i = 0; i < 40; i++) say('alice', 'off-topic', `haystack ${i} ${'words '.repeat(20)}`);
    const small = await ToolWorld.start({ fake: world.fake, env: { BRIDGE_OUTPUT_MAX_CHARS: '1000' } });
    try {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 40; i++) {
        const r = await small.call('search_posts', { terms: 'haystack', limit: 30, ...(cursor && { cursor }) });
        expect(r.text.length).toBeLessThanOrEqual(1000);
        expect(posts(r).length).toBeLessThan(30);
        seen.push(...posts(r).map((p) => p.id));
        cursor = s<{ next_cursor: string }>(r).next_cursor;
        if (!cursor) break;
      }
      expect(seen).toHaveLength(40);
      expect(new Set(seen).size).toBe(40);

      const back: string[] = [];
      cursor = undefined;
      for (let i = 0; i < 60 && back.length < 40; i++) {
        const r = await small.call('read_channel', { channel: '~off-topic', limit: 10, ...(cursor && { cursor }) });
        expect(r.text.length).toBeLessThanOrEqual(1000);
        back.unshift(...posts(r).map((p) => p.message));
        cursor = s<{ next_cursor: string }>(r).next_cursor;
      }
      const hay = back.filter((m) => m.startsWith('haystack'));
      expect(hay.map((m) => Number(m.split(' ')[1]))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      await small.stop();
    }
  });
});
