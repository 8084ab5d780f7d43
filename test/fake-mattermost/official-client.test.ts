/**
 * The official @mattermost/client (Client4 + WebSocketClient) against the fake:
 * REST conventions it depends on, and the WebSocket protocol end to end
 * (auth, seq, ping, drop + resume with replay, drop past the replay window).
 */
import { ClientError } from '@mattermost/client';
import type { Post } from '@mattermost/types/posts';
import { startFakeMattermost, type FakeMattermost } from './index';
import { client4, officialSocket, postOf, waitFor, type OfficialSocket } from './test-clients';

let fake: FakeMattermost;
const sockets: OfficialSocket[] = [];

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  fake = await startFakeMattermost();
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

afterAll(async () => {
  await fake.stop();
  jest.restoreAllMocks();
});

function open(user: string, opts: { challenge?: boolean; pingMs?: number } = {}): OfficialSocket {
  const s = officialSocket(fake.url, fake.token(user), opts);
  sockets.push(s);
  return s;
}

describe('Client4', () => {
  it('authenticates with the upper-case BEARER scheme and gets parsed JSON back', async () => {
    const alice = client4(fake.url, fake.token('alice'));
    const me = await alice.getMe();
    expect(typeof me).toBe('object');
    expect(me.username).toBe('alice');
    expect(me.id).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/);
    const teams = await alice.getMyTeams();
    expect(teams.map((t) => t.name)).toEqual(['acme']);
    const channels = await alice.getMyChannels(teams[0].id);
    expect(channels.map((c) => c.name).sort()).toEqual(
      ['town-square', 'off-topic', 'dev', fake.state.channels['alice__bridge-bot'].name].sort(),
    );
  });

  it('creates, edits, threads and deletes posts; since mode returns deleted ones', async () => {
    const alice = client4(fake.url, fake.token('alice'));
    const channel = fake.channel('town-square');
    const before = Date.now() - 1;
    const root = await alice.createPost({ channel_id: channel.id, message: 'root' } as Post);
    expect(root.create_at).toBeGreaterThan(1e12);
    const reply = await alice.createPost({ channel_id: channel.id, message: 'reply', root_id: root.id } as Post);
    const thread = await alice.getPostThread(root.id);
    expect(thread.order.sort()).toEqual([root.id, reply.id].sort());
    const edited = await alice.patchPost({ id: reply.id, message: 'reply (edited)' });
    expect(edited.edit_at).toBeGreaterThan(0);
    await alice.deletePost(reply.id);
    const page = await alice.getPosts(channel.id, 0, 60);
    expect(page.order).toContain(root.id);
    expect(page.order).not.toContain(reply.id);
    const since = await alice.getPostsSince(channel.id, before);
    expect(since.order).toContain(reply.id);
    expect(since.posts[reply.id].delete_at).toBeGreaterThan(0);
    expect(since.next_post_id).toBe('');
    expect(since.prev_post_id).toBe('');
  });

  it('throws ClientError with the server error id for 401, 403 and 404', async () => {
    const bad = client4(fake.url, 'x'.repeat(26));
    await expect(bad.getMe()).rejects.toMatchObject({
      status_code: 401,
      server_error_id: 'api.context.session_expired.app_error',
    });
    const bob = client4(fake.url, fake.token('bob'));
    const dev = fake.channel('dev');
    const err = await bob.getPosts(dev.id, 0, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ status_code: 403, server_error_id: 'api.context.permissions.app_error' });
    await expect(bob.createPost({ channel_id: dev.id, message: 'let me in' } as Post)).rejects.toMatchObject({
      status_code: 403,
    });
    await expect(bob.getPost('a'.repeat(26))).rejects.toMatchObject({ status_code: 403 });
    const admin = client4(fake.url, fake.token('admin'));
    await expect(admin.getPost('a'.repeat(26))).rejects.toMatchObject({
      status_code: 404,
      server_error_id: 'app.post.get.app_error',
    });
  });
});

describe('WebSocketClient', () => {
  it('authenticates on the upgrade, gets hello at seq 0 and its own posted event with the next seq', async () => {
    const s = open('alice');
    const hello = await waitFor(() => s.events.find((e) => e.event === 'hello'), 5000, 'hello');
    expect(hello.seq).toBe(0);
    expect(hello.data?.connection_id).toMatch(/^[a-z0-9]{26}$/);
    fake.post({ user: 'alice', channel: 'town-square', message: 'echo me' });
    const posted = await waitFor(() => s.events.find((e) => e.event === 'posted' && postOf(e).message === 'echo me'));
    expect(posted.seq).toBe(s.events.indexOf(posted));
    expect(s.events.map((e) => e.seq)).toEqual(s.events.map((_, i) => i));
  });

  it('authenticates by challenge too, and answers the ping action', async () => {
    const s = open('bob', { challenge: true, pingMs: 50 });
    await waitFor(() => s.events.find((e) => e.event === 'hello'), 5000, 'hello');
    const pong = await new Promise<Record<string, unknown>>((resolve) =>
      s.client.ping((msg: Record<string, unknown>) => resolve(msg)),
    );
    expect(pong).toMatchObject({ status: 'OK', data: { text: 'pong' } });
    // Several client ping intervals pass without a ping timeout (which would reconnect).
    await new Promise((r) => setTimeout(r, 300));
    expect(s.reconnects).toBe(0);
  });

  it('resumes after a drop and replays what was sent while it was gone, without a new hello', async () => {
    const s = open('alice');
    const hello = await waitFor(() => s.events.find((e) => e.event === 'hello'), 5000, 'hello');
    fake.post({ user: 'bob', channel: 'town-square', message: 'before drop' });
    await waitFor(() => s.events.find((e) => e.event === 'posted' && postOf(e).message === 'before drop'));
    expect(fake.dropWebSockets()).toBeGreaterThan(0);
    fake.post({ user: 'bob', channel: 'town-square', message: 'during drop' });
    await waitFor(
      () => s.events.find((e) => e.event === 'posted' && postOf(e).message === 'during drop'),
      5000,
      'replayed post',
    );
    expect(s.reconnects).toBeGreaterThan(0);
    expect(s.missed).toBe(0);
    expect(s.events.filter((e) => e.event === 'hello')).toEqual([hello]);
    expect(s.urls[s.urls.length - 1]).toContain(`connection_id=${String(hello.data?.connection_id)}`);
    expect(s.events.map((e) => e.seq)).toEqual(s.events.map((_, i) => i));
  });

  it('after a drop past the replay window gets a new connection_id and fires the missed-message listener', async () => {
    const s = open('alice');
    const hello = await waitFor(() => s.events.find((e) => e.event === 'hello'), 5000, 'hello');
    fake.dropWebSockets();
    fake.reapInactive();
    const second = await waitFor(() => s.events.filter((e) => e.event === 'hello')[1], 5000, 'second hello');
    expect(second.seq).toBe(0);
    expect(second.data?.connection_id).not.toBe(hello.data?.connection_id);
    await waitFor(() => s.missed === 1, 5000, 'missed-message listener');
    fake.post({ user: 'bob', channel: 'town-square', message: 'after reap' });
    await waitFor(() => s.events.find((e) => e.event === 'posted' && postOf(e).message === 'after reap'));
  });
});
