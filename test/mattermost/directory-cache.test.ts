/** The cached Directory against the fake Mattermost: lazy, shared lookups, invalidation. */
import { createMattermostClient, type ResilientClient4 } from '../../src/mattermost/client';
import { CachedDirectory } from '../../src/mattermost/directory-cache';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';

let fake: FakeMattermost;
let client: ResilientClient4;
let requests = 0;

beforeAll(async () => {
  fake = await startFakeMattermost();
  client = createMattermostClient({
    url: fake.url,
    token: fake.token('bridge-bot'),
    timeoutMs: 5000,
    ratePerSec: 1000,
    baseDelayMs: 5,
    maxDelayMs: 20,
  });
  // Count the requests that really reach the server.
  const inner = client.resilience.fetch.bind(client.resilience);
  client.resilience.fetch = (url, init) => {
    requests++;
    return inner(url, init);
  };
});
afterAll(async () => {
  await fake.stop();
});

describe('CachedDirectory', () => {
  it('does no request until asked (nothing to warm up)', () => {
    requests = 0;
    const dir = new CachedDirectory(client);
    expect(dir.sizes).toEqual({ users: 0, channels: 0, teams: 0 });
    expect(requests).toBe(0);
  });

  it('answers users, channels and teams by id and by name, caching them', async () => {
    const dir = new CachedDirectory(client);
    const alice = fake.user('alice');
    requests = 0;
    const [a, b] = await Promise.all([dir.user(alice.id), dir.user(alice.id)]);
    expect(a?.username).toBe('alice');
    expect(b).toBe(a);
    expect(requests).toBe(1); // concurrent lookups share one request
    expect((await dir.userByUsername('alice'))?.id).toBe(alice.id);
    expect(requests).toBe(1); // the username index points at the cached profile
    const team = await dir.teamByName('acme');
    expect(team?.name).toBe('acme');
    const ts = fake.channel('town-square');
    const byName = await dir.channelByName(team!.id, 'town-square');
    expect(byName?.id).toBe(ts.id);
    const before = requests;
    expect((await dir.channel(ts.id))?.name).toBe('town-square');
    expect((await dir.team(team!.id))?.name).toBe('acme');
    expect(requests).toBe(before);
  });

  it('answers undefined for what does not exist, without caching it', async () => {
    const dir = new CachedDirectory(client);
    expect(await dir.user('ybndrfg8ejkmcpqxot1uwisza3')).toBeUndefined();
    expect(await dir.userByUsername('nobody-here')).toBeUndefined();
    expect(await dir.teamByName('no-such-team')).toBeUndefined();
    expect(dir.sizes.users).toBe(0);
  });

  it('fetches many users in one request', async () => {
    const dir = new CachedDirectory(client);
    requests = 0;
    const ids = ['alice', 'bob', 'admin'].map((u) => fake.user(u).id);
    const users = await dir.usersByIds!(ids);
    expect([...users.values()].map((u) => u.username).sort()).toEqual(['admin', 'alice', 'bob']);
    expect(requests).toBe(1);
    await dir.usersByIds!(ids);
    expect(requests).toBe(1);
  });

  it('shows the new name after invalidation', async () => {
    const dir = new CachedDirectory(client);
    const off = fake.channel('off-topic');
    expect((await dir.channel(off.id))?.display_name).toBe(off.display_name);
    fake.app.store.channels.get(off.id)!.display_name = 'Random';
    expect((await dir.channel(off.id))?.display_name).toBe(off.display_name); // cached
    dir.invalidate('channel', off.id);
    expect((await dir.channel(off.id))?.display_name).toBe('Random');
  });

  it('propagates outages instead of answering "not found"', async () => {
    const dir = new CachedDirectory(client);
    fake.setFaults({ failNext: { path: '/api/v4/users/*', count: 10, status: 503 } });
    try {
      await expect(dir.user(fake.user('bob').id)).rejects.toMatchObject({ status_code: 503 });
    } finally {
      fake.setFaults({ clear: true });
    }
  });
});
