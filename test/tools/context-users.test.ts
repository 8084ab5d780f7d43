/** Toolsets `context` and `users` against the fake Mattermost. */
import { errorOf, ToolWorld } from './harness';

let world: ToolWorld;
beforeAll(async () => {
  world = await ToolWorld.start();
});
afterAll(async () => {
  await world.stop();
});

describe('get_me / list_teams', () => {
  it('says who the bot is, its teams and what the key may do', async () => {
    const r = await world.call('get_me', {});
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as {
      user: { username: string; is_bot: boolean };
      teams: { name: string }[];
      scopes: string[];
      read_only: boolean;
      direct_messages: boolean;
    };
    expect(s.user.username).toBe('bridge-bot');
    expect(s.user.is_bot).toBe(true);
    expect(s.teams.map((t) => t.name)).toEqual(['acme']);
    expect(s.scopes).toEqual(['read', 'write']);
    expect(s.read_only).toBe(false);
    expect(s.direct_messages).toBe(false);
    expect(r.text).toContain('@bridge-bot');
    expect(r.text).toContain('direct messages off');

    const reader = await world.call('get_me', {}, { scopes: ['read'] });
    expect((reader.structuredContent as Record<string, unknown>).read_only).toBe(true);
  });

  it('lists the teams', async () => {
    const r = await world.call('list_teams', {});
    expect(r.text).toMatch(/- acme "Acme" \(id [a-z0-9]{26}\)/);
    expect((r.structuredContent as { teams: unknown[] }).teams).toHaveLength(1);
  });

  it('refuses unknown arguments with a validation error', async () => {
    const r = await world.call('get_me', { verbose: true });
    expect(errorOf(r).category).toBe('validation');
  });
});

describe('get_user / search_users', () => {
  it('finds a user by @username and by id', async () => {
    const alice = world.fake.user('alice');
    for (const user of ['@alice', 'alice', alice.id]) {
      const r = await world.call('get_user', { user });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { user: { id: string } }).user.id).toBe(alice.id);
      expect(r.text).toContain('@alice ("Alice Liddell")');
    }
  });

  it('says what to call when a user is not found or malformed', async () => {
    const missing = errorOf(await world.call('get_user', { user: '@nobody' }));
    expect(missing).toEqual({ category: 'not_found', message: 'user @nobody not found; call search_users' });
    const bad = errorOf(await world.call('get_user', { user: '#!?' }));
    expect(bad.category).toBe('validation');
    expect(bad.message).toMatch(/@username/);
    const unknownId = errorOf(await world.call('get_user', { user: 'ybndrfg8ejkmcpqxot1uwisza3' }));
    expect(unknownId.category).toBe('not_found');
  });

  it('searches by the start of a name, within limits', async () => {
    const r = await world.call('search_users', { terms: 'ali' });
    const users = (r.structuredContent as { users: { username: string }[] }).users;
    expect(users.map((u) => u.username)).toContain('alice');
    expect(r.text).toMatch(/@alice/);
    expect(errorOf(await world.call('search_users', { terms: 'a', limit: 101 })).message).toMatch(/at most 100/);
    expect(errorOf(await world.call('search_users', { terms: '' })).category).toBe('validation');
  });
});

describe('get_user_status / set_status', () => {
  it("sets the bot's status and reads it back", async () => {
    const set = await world.call('set_status', { status: 'dnd', dnd_end_time: '2030-01-01T00:00:00Z' });
    expect(set.isError).toBeFalsy();
    expect(set.text).toContain('is now dnd');
    const got = await world.call('get_user_status', { user: '@bridge-bot' });
    expect((got.structuredContent as { status: string }).status).toBe('dnd');
    expect(got.text).toMatch(/^@bridge-bot is dnd/);
    await world.call('set_status', { status: 'online' });
    expect(
      ((await world.call('get_user_status', { user: '@bridge-bot' })).structuredContent as { status: string }).status,
    ).toBe('online');
  });

  it('refuses bad statuses and dnd_end_time without dnd', async () => {
    expect(errorOf(await world.call('set_status', { status: 'busy' })).category).toBe('validation');
    const e = errorOf(await world.call('set_status', { status: 'away', dnd_end_time: '2030-01-01T00:00:00Z' }));
    expect(e.message).toMatch(/only with status "dnd"/);
  });

  it('refuses set_status for read-only keys and in read-only mode, saying how to enable it', async () => {
    const e = errorOf(await world.call('set_status', { status: 'away' }, { scopes: ['read'] }));
    expect(e.category).toBe('forbidden');
    expect(e.message).toMatch(/write scope.*read\+write/);
    const ro = await ToolWorld.start({ fake: world.fake, env: { BRIDGE_READ_ONLY: 'true' } });
    try {
      const e2 = errorOf(await ro.call('set_status', { status: 'away' }));
      expect(e2.message).toMatch(/BRIDGE_READ_ONLY=false/);
    } finally {
      await ro.stop();
    }
  });
});
