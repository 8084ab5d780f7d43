/** Toolset `channels` against the fake Mattermost. */
import { errorOf, ToolWorld, type ToolAnswer } from './harness';

let world: ToolWorld;
beforeAll(async () => {
  world = await ToolWorld.start();
  world.fake.seed({
    channels: [
      { name: 'secret', type: 'P', members: ['alice'] },
      { name: 'lobby', type: 'O', members: ['alice'] },
    ],
  });
});
afterAll(async () => {
  await world.stop();
});

type ChannelOut = { name: string; type: string; ref: string; member: boolean; id: string };
const channels = (r: ToolAnswer) => (r.structuredContent as { channels: ChannelOut[] }).channels;

describe('list_channels', () => {
  it("lists the bot's channels with names, types and refs", async () => {
    const r = await world.call('list_channels', {});
    const names = channels(r).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['town-square', 'off-topic', 'dev']));
    expect(names).not.toContain('secret');
    expect(names.some((n) => n.includes('__'))).toBe(false); // the DM stays hidden by default
    expect((r.structuredContent as { hidden_by_policy: number }).hidden_by_policy).toBe(1);
    expect(r.text).toMatch(/- ~dev "[^"]*" \(private, team acme, id [a-z0-9]{26}\)/);
    expect(channels(r).find((c) => c.name === 'dev')?.ref).toBe('acme:dev');
  });

  it('pages with the cursor it returns', async () => {
    const p1 = await world.call('list_channels', { limit: 2 });
    expect(channels(p1)).toHaveLength(2);
    const cursor = (p1.structuredContent as { next_cursor: string }).next_cursor;
    expect(cursor).toBe('offset:2');
    const p2 = await world.call('list_channels', { limit: 2, cursor });
    expect(channels(p2).map((c) => c.id)).not.toEqual(channels(p1).map((c) => c.id));
    expect(errorOf(await world.call('list_channels', { cursor: 'garbage' })).category).toBe('validation');
  });

  it('lists public channels the bot may join', async () => {
    const r = await world.call('list_channels', { scope: 'public', team: 'acme' });
    const lobby = channels(r).find((c) => c.name === 'lobby');
    expect(lobby).toMatchObject({ member: false, type: 'O' });
    expect(channels(r).map((c) => c.name)).not.toContain('secret');
    expect(channels(r).find((c) => c.name === 'town-square')?.member).toBe(true);
    expect(r.text).toMatch(/~town-square "Town Square" \(public, team acme, id [a-z0-9]{26}\) \[member\]/);
    expect(errorOf(await world.call('list_channels', { team: 'nope' })).message).toMatch(/call list_teams/);
  });

  it('pages public channels without skipping or repeating any', async () => {
    const all = channels(await world.call('list_channels', { scope: 'public', limit: 200 }));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await world.call('list_channels', { scope: 'public', limit: 2, ...(cursor && { cursor }) });
      seen.push(...channels(r).map((c) => c.id));
      cursor = (r.structuredContent as { next_cursor: string }).next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.map((c) => c.id));
    expect(cursor).toBe('');
  });
});

describe('get_channel / join_channel / create_channel', () => {
  it('describes a channel', async () => {
    const r = await world.call('get_channel', { channel: '~town-square' });
    const out = r.structuredContent as { channel: ChannelOut; member_count: number };
    expect(out.channel.ref).toBe('acme:town-square');
    expect(out.member_count).toBeGreaterThanOrEqual(4);
    expect(r.text).toMatch(/~town-square "Town Square": public channel in team acme/);
  });

  it('joins a public channel (idempotently) and cannot join private ones uninvited', async () => {
    const r = await world.call('join_channel', { channel: 'acme:lobby' });
    expect(r.isError).toBeFalsy();
    expect(r.text).toMatch(/now a member of ~lobby/);
    expect((await world.call('join_channel', { channel: '~lobby' })).isError).toBeFalsy();
    const secret = world.fake.channel('secret');
    const e = errorOf(await world.call('join_channel', { channel: secret.id }));
    expect(['forbidden', 'not_found']).toContain(e.category);
    expect(errorOf(await world.call('join_channel', { channel: '~lobby' }, { scopes: ['read'] })).category).toBe(
      'forbidden',
    );
  });

  it('creates channels, and reports a taken name as a conflict', async () => {
    const r = await world.call('create_channel', {
      name: 'release-42',
      display_name: 'Release 42',
      purpose: 'ship it',
    });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { channel: ChannelOut }).channel).toMatchObject({ name: 'release-42', type: 'O' });
    const again = errorOf(await world.call('create_channel', { name: 'release-42', display_name: 'Again' }));
    expect(again.category).toBe('conflict');
    expect(again.message).toMatch(/call join_channel/);
    expect(errorOf(await world.call('create_channel', { name: 'Bad Name', display_name: 'x' })).category).toBe(
      'validation',
    );
    const denied = errorOf(
      await world.call('create_channel', { name: 'release-43', display_name: 'x' }, { policy: { allow: ['~dev'] } }),
    );
    expect(denied.category).toBe('forbidden');
  });
});
