/**
 * REST behaviour beyond shapes: paging and cursors, search syntax, files,
 * membership side effects, permissions, bad input (never a crash).
 */
import type { Post } from '@mattermost/types/posts';
import fc from 'fast-check';
import { startFakeMattermost, type FakeMattermost } from './index';
import { client4, postOf, rawSocket } from './test-clients';

let fake: FakeMattermost;

beforeAll(async () => {
  fake = await startFakeMattermost();
});

afterAll(async () => {
  await fake.stop();
});

async function get(
  path: string,
  user = 'admin',
  init: RequestInit = {},
): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await fetch(fake.url + path, {
    ...init,
    headers: { Authorization: `Bearer ${fake.token(user)}`, ...(init.headers ?? {}) },
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, type: res.headers.get('content-type'), body };
}

describe('paging', () => {
  let channelId: string;
  let ids: string[];

  beforeAll(() => {
    channelId = fake.seed({ channels: [{ name: 'busy', display_name: 'Busy' }] }).channels.busy.id;
    ids = [];
    for (let i = 0; i < 205; i++) ids.push(String(fake.post({ user: 'alice', channel: 'busy', message: `m${i}` }).id));
  });

  it('clamps per_page to 200 and turns garbage into 60', async () => {
    const big = (await get(`/api/v4/channels/${channelId}/posts?per_page=1000`)).body as { order: string[] };
    expect(big.order).toHaveLength(200);
    for (const bad of ['-1', 'abc', '']) {
      const r = (await get(`/api/v4/channels/${channelId}/posts?per_page=${bad}`)).body as { order: string[] };
      expect(r.order).toHaveLength(60);
    }
  });

  it('pages newest first with cursors; before/after set the cursors like the server', async () => {
    const alice = client4(fake.url, fake.token('alice'));
    const first = await alice.getPosts(channelId, 0, 10);
    expect(first.order).toEqual([...ids].reverse().slice(0, 10));
    expect(first.next_post_id).toBe('');
    expect(first.prev_post_id).toBe(ids[194]);
    const second = await alice.getPosts(channelId, 1, 10);
    expect(second.next_post_id).toBe(ids[195]);
    const before = await alice.getPostsBefore(channelId, ids[100], 0, 5);
    expect(before.order).toEqual([ids[99], ids[98], ids[97], ids[96], ids[95]]);
    expect(before.next_post_id).toBe(ids[100]);
    expect(before.prev_post_id).toBe(ids[94]);
    const after = await alice.getPostsAfter(channelId, ids[100], 0, 5);
    expect(after.order).toEqual([ids[105], ids[104], ids[103], ids[102], ids[101]]);
    expect(after.prev_post_id).toBe(ids[100]);
    expect(after.next_post_id).toBe(ids[106]);
    const tail = await alice.getPostsAfter(channelId, ids[202], 0, 5);
    expect(tail.order).toEqual([ids[204], ids[203]]);
    expect(tail.next_post_id).toBe('');
  });

  it('since mode includes edits, reactions and deletions, up to 1000 posts', async () => {
    const alice = client4(fake.url, fake.token('alice'));
    const t = Date.now() - 1;
    await alice.patchPost({ id: ids[3], message: 'edited' });
    await alice.addReaction(fake.user('alice').id, ids[4], 'smile');
    await alice.deletePost(ids[5]);
    const since = await alice.getPostsSince(channelId, t);
    expect(since.order.sort()).toEqual([ids[3], ids[4], ids[5]].sort());
    expect(since.posts[ids[5]].delete_at).toBeGreaterThan(0);
    expect(since.posts[ids[4]].metadata.reactions?.[0]).toMatchObject({ emoji_name: 'smile' });
    const everything = await alice.getPostsSince(channelId, 1);
    expect(everything.order).toHaveLength(205);
  });
});

describe('search', () => {
  beforeAll(() => {
    fake.seed({ channels: [{ name: 'search-room', display_name: 'Search Room' }] });
    fake.post({ user: 'alice', channel: 'search-room', message: 'the quick brown fox #animals' });
    fake.post({ user: 'bob', channel: 'search-room', message: 'a quick reply about deploys' });
    fake.post({ user: 'alice', channel: 'dev', message: 'quick private deploy note' });
    fake.post({ user: 'alice', channel: 'search-room', message: 'brown bread recipe' });
  });

  const search = async (user: string, terms: string, extra: Record<string, unknown> = {}) => {
    const api = client4(fake.url, fake.token(user));
    const r = await api.searchPostsWithParams(fake.state.teams.acme.id, {
      terms,
      is_or_search: false,
      page: 0,
      per_page: 60,
      ...extra,
    } as never);
    return r.order.map((id) => r.posts[id].message);
  };

  it('supports words, phrases, prefixes, hashtags, exclusions, from: and in:', async () => {
    expect(await search('alice', 'quick')).toEqual([
      'quick private deploy note',
      'a quick reply about deploys',
      'the quick brown fox #animals',
    ]);
    expect(await search('bob', 'quick')).toEqual(['a quick reply about deploys', 'the quick brown fox #animals']);
    expect(await search('alice', '"brown fox"')).toEqual(['the quick brown fox #animals']);
    expect(await search('alice', 'deploy*')).toEqual(['quick private deploy note', 'a quick reply about deploys']);
    expect(await search('alice', '#animals')).toEqual(['the quick brown fox #animals']);
    expect(await search('alice', 'brown -bread')).toEqual(['the quick brown fox #animals']);
    expect(await search('alice', 'quick from:bob')).toEqual(['a quick reply about deploys']);
    expect(await search('alice', 'quick in:dev')).toEqual(['quick private deploy note']);
    expect(await search('alice', 'fox bread', { is_or_search: true })).toEqual([
      'brown bread recipe',
      'the quick brown fox #animals',
    ]);
  });

  it('supports on:, before: and after: in the caller time zone, and pages with has_next', async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect((await search('alice', `brown on:${today}`)).length).toBe(2);
    expect(await search('alice', `brown before:${today}`)).toEqual([]);
    expect(await search('alice', `brown after:${today}`)).toEqual([]);
    expect((await search('alice', 'brown after:2000-01-01')).length).toBe(2);
    const api = client4(fake.url, fake.token('alice'));
    const p0 = await api.searchPostsWithParams(fake.state.teams.acme.id, {
      terms: 'quick',
      is_or_search: false,
      page: 0,
      per_page: 2,
    } as never);
    const p1 = await api.searchPostsWithParams(fake.state.teams.acme.id, {
      terms: 'quick',
      is_or_search: false,
      page: 1,
      per_page: 2,
    } as never);
    expect(p0.order).toHaveLength(2);
    expect((p0 as unknown as { has_next: boolean }).has_next).toBe(true);
    expect(p1.order).toHaveLength(1);
    expect((p1 as unknown as { has_next: boolean }).has_next).toBe(false);
  });
});

describe('files', () => {
  it('uploads multipart with channel_id first, serves info and content, and attaches to posts', async () => {
    const alice = client4(fake.url, fake.token('alice'));
    const channel = fake.channel('town-square');
    const form = new FormData();
    form.append('channel_id', channel.id);
    form.append('files', new Blob(['# notes\n'], { type: 'text/markdown' }), 'notes.md');
    form.append('client_ids', 'c1');
    const up = (await alice.uploadFile(form)) as unknown as {
      file_infos: { id: string; name: string; size: number; mime_type: string }[];
      client_ids: string[];
    };
    expect(up.client_ids).toEqual(['c1']);
    expect(up.file_infos[0]).toMatchObject({ name: 'notes.md', size: 8, mime_type: 'text/markdown' });
    const id = up.file_infos[0].id;
    const ws = rawSocket(fake.url, { token: fake.token('bob') });
    await ws.next((f) => f.event === 'hello');
    const post = await alice.createPost({ channel_id: channel.id, message: 'see file', file_ids: [id] } as Post);
    expect(post.file_ids).toEqual([id]);
    const posted = await ws.next((f) => f.event === 'posted' && postOf(f).id === post.id);
    expect(posted.data!.otherFile).toBe('true');
    expect((postOf(posted).metadata as { files: unknown[] }).files).toHaveLength(1);
    await ws.close();
    const content = await fetch(`${fake.url}/api/v4/files/${id}`, {
      headers: { Authorization: `Bearer ${fake.token('bob')}` },
    });
    expect(content.status).toBe(200);
    expect(await content.text()).toBe('# notes\n');
    expect(content.headers.get('content-disposition')).toContain('notes.md');
    const infos = await client4(fake.url, fake.token('bob')).getFileInfosForPost(post.id);
    expect(infos.map((f) => f.id)).toEqual([id]);
  });

  it('refuses unknown fields, a missing channel_id, and files in channels the user cannot post in', async () => {
    const channel = fake.channel('town-square');
    const post = async (build: (f: FormData) => void, user = 'alice') => {
      const f = new FormData();
      build(f);
      return get('/api/v4/files', user, { method: 'POST', body: f });
    };
    const extra = await post((f) => {
      f.append('channel_id', channel.id);
      f.append('surprise', 'x');
      f.append('files', new Blob(['a']), 'a.txt');
    });
    expect(extra.status).toBe(400);
    const noChannel = await post((f) => f.append('files', new Blob(['a']), 'a.txt'));
    expect(noChannel).toMatchObject({ status: 400, body: { id: 'api.context.invalid_body_param.app_error' } });
    const forbidden = await post((f) => {
      f.append('channel_id', fake.channel('dev').id);
      f.append('files', new Blob(['a']), 'a.txt');
    }, 'bob');
    expect(forbidden.status).toBe(403);
    const raw = await get(`/api/v4/files?channel_id=${channel.id}&filename=raw.txt`, 'alice', {
      method: 'POST',
      body: 'raw body',
    });
    expect(raw.status).toBe(201);
  });
});

describe('membership and permissions', () => {
  it('adding a team member joins the default channels with the real events and system posts', async () => {
    const dave = fake.seed({ users: [{ username: 'dave', teams: [] }] }).users.dave;
    const alice = rawSocket(fake.url, { token: fake.token('alice') });
    const daveWs = rawSocket(fake.url, { token: dave.token });
    await alice.next((f) => f.event === 'hello');
    await daveWs.next((f) => f.event === 'hello');
    const admin = client4(fake.url, fake.token('admin'));
    await admin.addToTeam(fake.state.teams.acme.id, dave.id);
    await daveWs.next((f) => f.event === 'added_to_team');
    const added = await alice.next((f) => f.event === 'user_added' && f.data?.user_id === dave.id);
    expect(added.broadcast!.channel_id).toBe(fake.channel('town-square').id);
    const join = await alice.next((f) => f.event === 'posted' && postOf(f).type === 'system_join_team');
    expect(postOf(join)).toMatchObject({ user_id: dave.id, message: '@dave joined the team.' });
    await alice.close();
    await daveWs.close();
  });

  it('non-members cannot read or post in private channels; public channels are readable by the team', async () => {
    const bob = client4(fake.url, fake.token('bob'));
    const dev = fake.channel('dev');
    await expect(bob.getChannel(dev.id)).rejects.toMatchObject({ status_code: 403 });
    await expect(bob.getChannelByName(fake.state.teams.acme.id, 'dev')).rejects.toMatchObject({ status_code: 404 });
    await expect(bob.addToChannel(fake.user('bob').id, dev.id)).rejects.toMatchObject({ status_code: 403 });
    const created = await client4(fake.url, fake.token('alice')).createChannel({
      team_id: fake.state.teams.acme.id,
      name: 'alice-public',
      display_name: 'Alice public',
      type: 'O',
    } as never);
    expect((await bob.getPosts(created.id, 0, 10)).order).toEqual([]);
    await expect(bob.createPost({ channel_id: created.id, message: 'not a member' } as Post)).rejects.toMatchObject({
      status_code: 403,
    });
    await bob.addToChannel(fake.user('bob').id, created.id);
    const joined = await bob.getPosts(created.id, 0, 10);
    expect(joined.posts[joined.order[0]]).toMatchObject({
      type: 'system_join_channel',
      message: '@bob joined the channel.',
    });
    await bob.createPost({ channel_id: created.id, message: 'now a member' } as Post);
  });

  it('direct channels are named after the sorted ids and created with 201', async () => {
    const res = await get('/api/v4/channels/direct', 'bob', {
      method: 'POST',
      body: JSON.stringify([fake.user('bob').id, fake.user('admin').id]),
    });
    expect(res.status).toBe(201);
    const ids = [fake.user('bob').id, fake.user('admin').id].sort();
    expect(res.body).toMatchObject({ type: 'D', name: `${ids[0]}__${ids[1]}`, team_id: '' });
  });
});

describe('bots and access tokens', () => {
  it('supports the install flow: create, token, patch, disable (tokens stop working), enable, revoke', async () => {
    const admin = client4(fake.url, fake.token('admin'));
    const bot = await admin.createBot({ username: 'install-bot', display_name: 'Install', description: 'd' } as never);
    expect(bot).toMatchObject({ username: 'install-bot', owner_id: fake.user('admin').id });
    const user = await admin.getUserByUsername('install-bot');
    expect(user.is_bot).toBe(true);
    const token = await admin.createUserAccessToken(bot.user_id, 'bridge token');
    const asBot = client4(fake.url, token.token!);
    expect((await asBot.getMe()).id).toBe(bot.user_id);
    const listed = await admin.getUserAccessTokensForUser(bot.user_id, 0, 200);
    expect(listed.map((t) => t.description)).toEqual(['bridge token']);
    expect(listed[0]).not.toHaveProperty('token');
    expect(await admin.patchBot(bot.user_id, { display_name: 'Renamed' } as never)).toMatchObject({
      display_name: 'Renamed',
    });
    await admin.disableBot(bot.user_id);
    await expect(asBot.getMe()).rejects.toMatchObject({ status_code: 401 });
    await expect(admin.getBot(bot.user_id)).rejects.toMatchObject({ status_code: 404 });
    await admin.enableBot(bot.user_id);
    expect((await asBot.getMe()).id).toBe(bot.user_id);
    await admin.revokeUserAccessToken(listed[0].id);
    await expect(asBot.getMe()).rejects.toMatchObject({ status_code: 401 });
    const icon = new FormData();
    icon.append('image', new Blob(['<svg/>'], { type: 'image/svg+xml' }), 'icon.svg');
    expect((await get(`/api/v4/bots/${bot.user_id}/icon`, 'admin', { method: 'POST', body: icon })).status).toBe(200);
    await expect(
      client4(fake.url, fake.token('alice')).createBot({ username: 'nope-bot' } as never),
    ).rejects.toMatchObject({ status_code: 403 });
  });

  it('creating a user over REST broadcasts new_user to everyone; a bot does not', async () => {
    const bob = rawSocket(fake.url, { token: fake.token('bob') });
    await bob.next((f) => f.event === 'hello');
    const admin = client4(fake.url, fake.token('admin'));
    await admin.createBot({ username: 'quiet-bot' } as never);
    const erin = await admin.createUser(
      { username: 'erin', email: 'erin@example.com', password: 'long enough' } as never,
      '',
      '',
    );
    const event = await bob.next((f) => f.event === 'new_user');
    expect(event.data).toEqual({ user_id: erin.id });
    expect(bob.frames.filter((f) => f.event === 'new_user')).toHaveLength(1);
    expect(fake.token('erin')).toMatch(/^[a-z0-9]{26}$/);
    await bob.close();
  });
});

describe('bad requests', () => {
  it('answer with AppErrors, never crash', async () => {
    expect(await get('/api/v4/posts/abc')).toMatchObject({
      status: 400,
      body: { id: 'api.context.invalid_url_param.app_error' },
    });
    expect(await get('/api/v4/posts/abc-def')).toMatchObject({
      status: 404,
      body: { id: 'api.context.404.app_error' },
    });
    expect(
      await get(`/api/v4/users/me?access_token=${fake.token('alice')}`, 'alice', { headers: { Authorization: '' } }),
    ).toMatchObject({
      status: 401,
      body: { id: 'api.context.token_provided.app_error' },
    });
    expect(await get('/api/v4/posts', 'alice', { method: 'POST', body: '[1,2]' })).toMatchObject({
      status: 400,
      body: { id: 'api.context.invalid_body_param.app_error' },
    });
    expect(
      await get('/api/v4/posts', 'alice', {
        method: 'POST',
        body: JSON.stringify({ channel_id: fake.channel('town-square').id, message: 'x'.repeat(16384) }),
      }),
    ).toMatchObject({
      status: 400,
      body: { id: 'model.post.is_valid.msg.app_error' },
    });
    expect(await get(`/api/v4/channels/${fake.channel('town-square').id}/posts?since=yesterday`)).toMatchObject({
      status: 400,
    });
    expect(
      await get('/api/v4/reactions', 'alice', {
        method: 'POST',
        body: JSON.stringify({ user_id: fake.user('bob').id, post_id: 'x'.repeat(26), emoji_name: 'a' }),
      }),
    ).toMatchObject({ status: 403 });
    const res = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
  });

  it('survive arbitrary bodies and paths (property)', async () => {
    const token = fake.token('alice');
    const routes = [
      '/api/v4/posts',
      '/api/v4/reactions',
      '/api/v4/channels',
      '/api/v4/users/search',
      '/api/v4/commands/execute',
      '/api/v4/files',
      '/__fake/posts',
      '/__fake/seed',
      '/__fake/faults',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(fc.string(), fc.json()), async (route, body) => {
        const res = await fetch(fake.url + route, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body,
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/json');
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.webPath(), async (path) => {
        const res = await fetch(`${fake.url}/api/v4${path}`, { headers: { Authorization: `Bearer ${token}` } });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    expect((await client4(fake.url, token).getMe()).username).toBe('alice');
  });
});
