/**
 * WebSocket frames byte by byte with a raw `ws` client: auth paths, replies
 * and router errors, event shapes (string-encoded fields, broadcast keys,
 * per-connection seq), scoping, and the resume rules of the reliable
 * WebSocket protocol.
 */
import { startFakeMattermost, type FakeMattermost } from './index';
import { client4, postOf, rawSocket, waitFor, type Frame, type RawSocket } from './test-clients';

let fake: FakeMattermost;
const open: RawSocket[] = [];

beforeAll(async () => {
  fake = await startFakeMattermost({ authTimeoutMs: 300 });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await fake.stop();
});

function socket(opts: Parameters<typeof rawSocket>[1] = {}): RawSocket {
  const s = rawSocket(fake.url, opts);
  open.push(s);
  return s;
}

async function authed(user: string, query?: Record<string, string>): Promise<RawSocket> {
  const s = socket({ token: fake.token(user), query });
  await s.next((f) => f.event === 'hello');
  return s;
}

const BROADCAST_KEYS = ['omit_users', 'user_id', 'channel_id', 'team_id', 'connection_id', 'omit_connection_id'];

describe('authentication', () => {
  it('header auth: hello first, seq 0, compact JSON, broadcast to the user, data keys sorted', async () => {
    const s = await authed('alice');
    const hello = s.frames[0];
    expect(hello.event).toBe('hello');
    expect(hello.seq).toBe(0);
    expect(Object.keys(hello.data!)).toEqual(['connection_id', 'server_hostname', 'server_version']);
    expect(hello.data!.server_version).toMatch(/^\d+\.\d+\.\d+\.[\d.]+\.\w+\.(true|false)$/);
    expect(hello.broadcast).toMatchObject({ user_id: fake.user('alice').id });
    expect(Object.keys(hello.broadcast!)).toEqual(BROADCAST_KEYS);
    expect(s.raw[0].startsWith('{"event":"hello","data":{')).toBe(true);
  });

  it('accepts the Bearer scheme in any case and the Token scheme', async () => {
    const a = socket({ headers: { Authorization: `bEaReR ${fake.token('bob')}` } });
    await a.next((f) => f.event === 'hello');
    const b = socket({ headers: { Authorization: `Token ${fake.token('bob')}` } });
    await b.next((f) => f.event === 'hello');
  });

  it('challenge auth: hello then OK with seq_reply; a second challenge is ignored', async () => {
    const s = socket();
    await s.opened;
    s.send({ seq: 1, action: 'authentication_challenge', data: { token: fake.token('bob') } });
    const ok = await s.next((f) => f.seq_reply === 1);
    expect(ok).toEqual({ status: 'OK', seq_reply: 1 });
    expect(s.frames[0].event).toBe('hello');
    s.send({ seq: 2, action: 'authentication_challenge', data: { token: fake.token('bob') } });
    s.send({ seq: 3, action: 'ping' });
    await s.next((f) => f.seq_reply === 3);
    expect(s.frames.find((f) => f.seq_reply === 2)).toBeUndefined();
  });

  it('a bad token on the upgrade opens an unauthenticated socket; actions fail with not_authenticated', async () => {
    const s = socket({ token: 'z'.repeat(26) });
    await s.opened;
    s.send({ seq: 1, action: 'ping' });
    const fail = await s.next((f) => f.seq_reply === 1);
    expect(fail).toMatchObject({
      status: 'FAIL',
      error: { id: 'api.web_socket_router.not_authenticated.app_error', status_code: 401 },
    });
  });

  it('a bad challenge token or no challenge in time closes the socket', async () => {
    const s = socket();
    await s.opened;
    s.send({ seq: 1, action: 'authentication_challenge', data: { token: 'nope' } });
    await waitFor(() => s.closed, 2000, 'close after bad challenge');
    const idle = socket();
    await idle.opened;
    await waitFor(() => idle.closed, 3000, 'close after the auth timeout');
    expect(idle.frames).toEqual([]);
  });

  it('a token in the query string is refused on the upgrade', async () => {
    const s = socket({ query: { access_token: fake.token('alice') } });
    await expect(s.opened).rejects.toThrow(/401/);
  });
});

describe('router', () => {
  it('answers ping, statuses and typing like the server; errors for bad frames', async () => {
    const s = await authed('alice');
    s.send({ seq: 1, action: 'ping' });
    const pong = await s.next((f) => f.seq_reply === 1);
    expect(Object.keys(pong.data!)).toEqual(['node_id', 'server_time', 'text', 'version']);
    expect(pong.data!.text).toBe('pong');
    const ids = [fake.user('alice').id, fake.user('bob').id];
    s.send({ seq: 2, action: 'get_statuses_by_ids', data: { user_ids: ids } });
    const statuses = await s.next((f) => f.seq_reply === 2);
    expect(statuses.data).toEqual({ [ids[0]]: 'online', [ids[1]]: expect.any(String) });
    s.send({ seq: 3, action: 'get_statuses' });
    expect((await s.next((f) => f.seq_reply === 3)).data![ids[0]]).toBe('online');
    s.send({ seq: 4, action: '' });
    expect((await s.next((f) => f.seq_reply === 4)).error).toMatchObject({
      id: 'api.web_socket_router.no_action.app_error',
      status_code: 400,
    });
    s.send({ seq: 0, action: 'ping' });
    expect((await s.next((f) => f.seq_reply === 0 && f.status === 'FAIL')).error).toMatchObject({
      id: 'api.web_socket_router.bad_seq.app_error',
    });
    s.send({ seq: 5, action: 'no_such_action' });
    expect((await s.next((f) => f.seq_reply === 5)).error).toMatchObject({
      id: 'api.web_socket_router.bad_action.app_error',
      status_code: 500,
      detailed_error: '',
    });
    s.send({ seq: 6, action: 'get_statuses_by_ids', data: { user_ids: ['x'] } });
    expect((await s.next((f) => f.seq_reply === 6)).error).toMatchObject({
      id: 'api.websocket_handler.invalid_param.app_error',
    });
    // Replies never carry seq, and events keep counting from hello.
    expect(s.frames.filter((f) => f.seq_reply !== undefined).every((f) => f.seq === undefined)).toBe(true);
  });

  it('user_typing reaches the channel members except the typer', async () => {
    const alice = await authed('alice');
    const bob = await authed('bob');
    const channel = fake.channel('town-square');
    alice.send({ seq: 1, action: 'user_typing', data: { channel_id: channel.id, parent_id: '' } });
    expect(await alice.next((f) => f.seq_reply === 1)).toEqual({ status: 'OK', seq_reply: 1 });
    const typing = await bob.next((f) => f.event === 'typing');
    expect(typing.data).toEqual({ parent_id: '', user_id: fake.user('alice').id });
    expect(typing.broadcast).toMatchObject({ channel_id: channel.id, omit_users: { [fake.user('alice').id]: true } });
    await new Promise((r) => setTimeout(r, 50));
    expect(alice.frames.find((f) => f.event === 'typing')).toBeUndefined();
  });

  it('closes the socket on a frame that does not decode', async () => {
    const s = await authed('bob');
    s.ws.send('not json');
    await waitFor(() => s.closed, 2000, 'close');
  });
});

describe('event frames', () => {
  it('posted: precomputed format, sorted data, post as a string, own post echoed, mentions only for the mentioned', async () => {
    const alice = await authed('alice');
    const bob = await authed('bob');
    const admin = await authed('admin');
    const channel = fake.channel('town-square');
    const post = fake.post({ user: 'alice', channel: 'town-square', message: 'hi @bob <b>' });
    const own = await alice.next((f) => f.event === 'posted' && postOf(f).id === post.id);
    const toBob = await bob.next((f) => f.event === 'posted' && postOf(f).id === post.id);
    const toAdmin = await admin.next((f) => f.event === 'posted' && postOf(f).id === post.id);
    const raw = alice.raw[alice.frames.indexOf(own)];
    expect(raw).toMatch(/^\{"event": "posted", "data": \{.*\}, "broadcast": \{.*\}, "seq": \d+\}$/);
    expect(raw).toContain('\\\\u003cb\\\\u003e'); // Go escapes < and > inside the encoded post
    expect(Object.keys(own.data!)).toEqual([...Object.keys(own.data!)].sort());
    expect(own.data).toMatchObject({
      channel_display_name: 'Town Square',
      channel_name: 'town-square',
      channel_type: 'O',
      sender_name: '@alice',
      set_online: true,
      team_id: fake.state.teams.acme.id,
    });
    expect(typeof own.data!.post).toBe('string');
    expect(postOf(own)).toMatchObject({ id: post.id, message: 'hi @bob <b>', channel_id: channel.id, metadata: {} });
    expect(own.broadcast).toEqual({
      omit_users: null,
      user_id: '',
      channel_id: channel.id,
      team_id: '',
      connection_id: '',
      omit_connection_id: '',
    });
    expect(own.data!.mentions).toBeUndefined();
    expect(toAdmin.data!.mentions).toBeUndefined();
    expect(JSON.parse(String(toBob.data!.mentions))).toEqual([fake.user('bob').id]);
  });

  it('DMs mention the other side; events are scoped to channel members', async () => {
    const bot = await authed('bridge-bot');
    const bob = await authed('bob');
    fake.post({ user: 'alice', channel: 'alice__bridge-bot', message: 'psst' });
    fake.post({ user: 'alice', channel: 'dev', message: 'private' });
    const dm = await bot.next((f) => f.event === 'posted' && postOf(f).message === 'psst');
    expect(dm.data).toMatchObject({ channel_type: 'D', team_id: '', channel_display_name: '@alice' });
    expect(JSON.parse(String(dm.data!.mentions))).toEqual([fake.user('bridge-bot').id]);
    await bot.next((f) => f.event === 'posted' && postOf(f).message === 'private');
    fake.post({ user: 'alice', channel: 'town-square', message: 'public marker' });
    await bob.next((f) => f.event === 'posted' && postOf(f).message === 'public marker');
    expect(
      bob.frames.some((f) => f.event === 'posted' && ['psst', 'private'].includes(String(postOf(f).message))),
    ).toBe(false);
  });

  it('reactions, edits, pins and deletes emit their events; admins get delete_by', async () => {
    const alice = await authed('alice');
    const admin = await authed('admin');
    const post = fake.post({ user: 'bob', channel: 'town-square', message: 'react to me' });
    const api = client4(fake.url, fake.token('alice'));
    await api.addReaction(fake.user('alice').id, String(post.id), 'tada');
    const added = await alice.next((f) => f.event === 'reaction_added');
    expect(typeof added.data!.reaction).toBe('string');
    expect(JSON.parse(String(added.data!.reaction))).toMatchObject({
      user_id: fake.user('alice').id,
      post_id: post.id,
      emoji_name: 'tada',
    });
    await api.removeReaction(fake.user('alice').id, String(post.id), 'tada');
    await alice.next((f) => f.event === 'reaction_removed');
    await api.pinPost(String(post.id));
    const pinned = await alice.next((f) => f.event === 'post_edited');
    expect(postOf(pinned)).toMatchObject({ id: post.id, is_pinned: true, edit_at: 0 });
    const bobApi = client4(fake.url, fake.token('bob'));
    await bobApi.deletePost(String(post.id));
    const deleted = await alice.next((f) => f.event === 'post_deleted');
    expect(deleted.data!.delete_by).toBeUndefined();
    expect(deleted.broadcast).toMatchObject({ contains_sanitized_data: true });
    expect(postOf(deleted)).toMatchObject({ id: post.id, delete_at: 0 });
    const adminCopy = await admin.next((f) => f.event === 'post_deleted');
    expect(adminCopy.data!.delete_by).toBe(fake.user('bob').id);
    expect(admin.frames.filter((f) => f.event === 'post_deleted')).toHaveLength(1);
  });

  it('status_change goes only to that user; channel_updated carries the channel as a string', async () => {
    const alice = await authed('alice');
    const bob = await authed('bob');
    const api = client4(fake.url, fake.token('alice'));
    await api.updateStatus({ user_id: fake.user('alice').id, status: 'away' } as never);
    const change = await alice.next((f) => f.event === 'status_change' && f.data?.status === 'away');
    expect(change.broadcast).toMatchObject({ user_id: fake.user('alice').id });
    const dev = fake.channel('dev');
    await api.patchChannel(dev.id, { header: 'new header' });
    const updated = await alice.next((f) => f.event === 'channel_updated');
    expect(JSON.parse(String(updated.data!.channel))).toMatchObject({ id: dev.id, header: 'new header' });
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.frames.some((f) => f.event === 'status_change' && f.data?.user_id === fake.user('alice').id)).toBe(
      false,
    );
    expect(bob.frames.some((f) => f.event === 'channel_updated')).toBe(false);
    await api.updateStatus({ user_id: fake.user('alice').id, status: 'online' } as never);
  });

  it('raw events from the control API go to the sockets they are scoped to, with the right seq', async () => {
    const alice = await authed('alice');
    const bob = await authed('bob');
    const res = await fetch(`${fake.url}/__fake/events`, {
      method: 'POST',
      body: JSON.stringify({
        event: 'custom_thing',
        data: { b: 2, a: 1 },
        broadcast: { user_id: fake.user('bob').id },
      }),
    });
    expect(res.status).toBe(200);
    const got = await bob.next((f) => f.event === 'custom_thing');
    expect(got.seq).toBe(bob.frames.filter((f) => f.seq !== undefined).indexOf(got));
    expect(Object.keys(got.data!)).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 50));
    expect(alice.frames.some((f) => f.event === 'custom_thing')).toBe(false);
  });
});

describe('resume', () => {
  const events = (s: RawSocket) => s.frames.filter((f): f is Frame & { seq: number } => f.seq !== undefined);

  it('replays from the dead queue when the wanted seq is there, with no hello', async () => {
    const s = await authed('alice');
    const id = String(s.frames[0].data!.connection_id);
    for (let i = 0; i < 3; i++) fake.post({ user: 'bob', channel: 'town-square', message: `r${i}` });
    await s.next((f) => f.event === 'posted' && postOf(f).message === 'r2');
    const last = events(s)[events(s).length - 1].seq;
    fake.dropWebSockets();
    fake.post({ user: 'bob', channel: 'town-square', message: 'while away' });
    const again = socket({
      token: fake.token('alice'),
      query: { connection_id: id, sequence_number: String(last - 1) },
    });
    const away = await again.next((f) => f.event === 'posted' && postOf(f).message === 'while away');
    expect(again.frames.some((f) => f.event === 'hello')).toBe(false);
    // Replay from the wanted seq, then what was queued while away (the offline status_change, the post), in seq order.
    const seqs = events(again).map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => last - 1 + i));
    expect(postOf(events(again)[0]).message).toBe('r1');
    expect(postOf(events(again)[1]).message).toBe('r2');
    expect(away.seq).toBeGreaterThan(last);
  });

  it('a lossless resume continues without hello; a lost seq gets a new id and hello', async () => {
    const s = await authed('bob');
    const id = String(s.frames[0].data!.connection_id);
    const next = events(s).length;
    fake.dropWebSockets();
    const lossless = socket({ token: fake.token('bob'), query: { connection_id: id, sequence_number: String(next) } });
    await lossless.opened;
    fake.post({ user: 'alice', channel: 'town-square', message: 'lossless' });
    const got = await lossless.next((f) => f.event === 'posted' && postOf(f).message === 'lossless');
    expect(got.seq).toBeGreaterThanOrEqual(next);
    expect(lossless.frames.some((f) => f.event === 'hello')).toBe(false);
    const seqNow = events(lossless)[events(lossless).length - 1].seq;
    fake.dropWebSockets();
    const lossy = socket({
      token: fake.token('bob'),
      query: { connection_id: id, sequence_number: String(seqNow + 50) },
    });
    const hello = await lossy.next((f) => f.event === 'hello');
    expect(hello.seq).toBe(0);
    expect(hello.data!.connection_id).not.toBe(id);
  });

  it('refuses a known connection_id without a sequence_number; unknown ids and challenge-only clients start over', async () => {
    const s = await authed('alice');
    const id = String(s.frames[0].data!.connection_id);
    fake.dropWebSockets();
    const noSeq = socket({ token: fake.token('alice'), query: { connection_id: id } });
    await waitFor(() => noSeq.closed, 2000, 'close without sequence_number');
    const bogus = socket({
      token: fake.token('alice'),
      query: { connection_id: 'x'.repeat(26), sequence_number: '3' },
    });
    const hello = await bogus.next((f) => f.event === 'hello');
    expect(hello.data!.connection_id).not.toBe('x'.repeat(26));
    const challengeOnly = socket({ query: { connection_id: id, sequence_number: '1' } });
    await challengeOnly.opened;
    challengeOnly.send({ seq: 1, action: 'authentication_challenge', data: { token: fake.token('alice') } });
    const fresh = await challengeOnly.next((f) => f.event === 'hello');
    expect(fresh.data!.connection_id).not.toBe(id);
  });

  it('keeps only the last 128 events: an older seq is lost', async () => {
    const s = await authed('alice');
    const id = String(s.frames[0].data!.connection_id);
    for (let i = 0; i < 140; i++) fake.post({ user: 'bob', channel: 'off-topic', message: `bulk ${i}` });
    await s.next((f) => f.event === 'posted' && postOf(f).message === 'bulk 139');
    const last = events(s)[events(s).length - 1].seq;
    fake.dropWebSockets();
    const inWindow = socket({
      token: fake.token('alice'),
      query: { connection_id: id, sequence_number: String(last - 127) },
    });
    await inWindow.next((f) => f.seq === last);
    expect(
      events(inWindow)
        .slice(0, 128)
        .map((f) => f.seq),
    ).toEqual(Array.from({ length: 128 }, (_, i) => last - 127 + i));
    fake.dropWebSockets();
    const tooOld = socket({
      token: fake.token('alice'),
      query: { connection_id: id, sequence_number: String(last - 130) },
    });
    const hello = await tooOld.next((f) => f.event === 'hello');
    expect(hello.data!.connection_id).not.toBe(id);
  });

  it('reaps inactive connections after reapAfterMs', async () => {
    const quick = await startFakeMattermost({ reapAfterMs: 40 });
    try {
      const s = rawSocket(quick.url, { token: quick.token('alice') });
      const hello = await s.next((f) => f.event === 'hello');
      quick.dropWebSockets();
      await waitFor(() => (quick.snapshot().connections as unknown[]).length === 0, 5000, 'reaping');
      const again = rawSocket(quick.url, {
        token: quick.token('alice'),
        query: { connection_id: String(hello.data!.connection_id), sequence_number: '1' },
      });
      const fresh = await again.next((f) => f.event === 'hello');
      expect(fresh.data!.connection_id).not.toBe(hello.data!.connection_id);
      await again.close();
      await s.close();
    } finally {
      await quick.stop();
    }
  });
});
