import { SlashWorld } from './world';

let w: SlashWorld;

beforeAll(async () => {
  w = await SlashWorld.start();
  // A public channel the bot is not in (joining the team put it in town-square and off-topic).
  w.fake.seed({ channels: [{ name: 'design', members: ['admin', 'alice', 'bob'] }] });
});

afterAll(async () => {
  await w?.stop();
});

describe('/mcp through the fake Mattermost', () => {
  it('help lists every command with who may use it, as JSON with the exact content type', async () => {
    const r = await w.invoke('alice', 'town-square', 'help');
    expect(r.status).toBe(200);
    expect(r.reply?.contentType).toBe('application/json');
    expect(r.response?.response_type).toBe('ephemeral');
    for (const name of ['help', 'status', 'watch', 'unwatch', 'watching', 'ask', 'sessions']) {
      expect(r.response?.text).toContain(`/mcp ${name}`);
    }
    expect(r.response?.text).toMatch(/watch \[~channel\]`.*\| system admins and channel admins \|/);
    // an empty /mcp is help too
    expect((await w.invoke('alice', 'town-square', '')).response?.text).toBe(r.response?.text);
  });

  it('help <command> gives its usage', async () => {
    const r = await w.invoke('alice', 'town-square', 'help ask');
    expect(r.response?.text).toMatch(/^Usage: `\/mcp ask \[--private\|--channel\] <text>`/);
  });

  it('unknown subcommands and bad arguments get an ephemeral usage answer', async () => {
    const unknown = await w.invoke('alice', 'town-square', 'frobnicate now');
    expect(unknown.response).toMatchObject({ response_type: 'ephemeral' });
    expect(unknown.response?.text).toMatch(/^Unknown command `frobnicate`/);
    expect(unknown.response?.text).toContain('/mcp help');

    const cases: [string, RegExp][] = [
      ['status now', /`status` takes no arguments.*Usage: `\/mcp status`/s],
      ['watching all', /`watching` takes no arguments/],
      ['ask', /`ask` needs the task.*Usage: `\/mcp ask/s],
      ['ask --loud hello', /knows the options --private and --channel/],
      ['watch ~a ~b', /`watch` takes one channel.*Usage: `\/mcp watch \[~channel\]`/s],
      ['unwatch ~Not*A*Channel', /is not a channel; write it as ~channel-name/],
      ['help watch ask', /`help` takes at most one command name/],
      ['sessions please', /`sessions` takes no arguments/],
    ];
    for (const [text, message] of cases) {
      const r = await w.invoke('alice', 'town-square', text);
      expect(r.status).toBe(200);
      expect(r.response?.response_type).toBe('ephemeral');
      expect(r.response?.text).toMatch(message);
    }
  });

  it('status reports WebSocket, event log, agents, watches and queues in Markdown', async () => {
    const r = await w.invoke('bob', 'off-topic', 'status');
    const text = r.response?.text ?? '';
    expect(text).toMatch(/^#### MCP bridge status/);
    expect(text).toMatch(/\| Pipeline \| events waiting: \d+, events active: \d+, failed jobs: \d+ \|/);
    for (const row of [
      '| WebSocket |',
      '| Event log |',
      '| Agents | no MCP session connected |',
      '| Watched channels |',
      '| Pipeline |',
      '| Slash queue |',
    ]) {
      expect(text).toContain(row);
    }
  });

  it('watching says plainly when there is no watch list', async () => {
    expect(await w.answer('bob', 'town-square', 'watching')).toMatch(
      /No watch list: every channel the bot is a member of/,
    );
  });

  it('watch and unwatch are refused for people without the role', async () => {
    const text = await w.answer('alice', 'town-square', 'watch');
    expect(text).toMatch(/^Only system admins and channel admins of ~town-square may change what the agents watch/);
    expect(await w.services.watches.list()).toEqual([]);
    expect(await w.answer('alice', 'town-square', 'unwatch ~town-square')).toMatch(/^Only system admins/);
  });

  it('a system admin watches the current channel, then another one by ~name, and unwatches them', async () => {
    const first = await w.answer('admin', 'town-square', 'watch');
    expect(first).toMatch(/^The agents now watch ~town-square\./);
    expect(first).toContain('only watched channels are streamed');
    expect(await w.answer('admin', 'town-square', 'watch')).toBe('~town-square was already watched; nothing changed.');

    // Mattermost resolves ~design in channel_mentions; the bot is not a member there
    const second = await w.answer('admin', 'town-square', 'watch ~design');
    expect(second).toMatch(/^The agents now watch ~design\./);
    expect(second).toMatch(/is not a member of ~design.*\/invite @mcp-bridge/);
    expect(await w.answer('admin', 'off-topic', 'watch')).toMatch(/^The agents now watch ~off-topic\.$/);
    expect((await w.services.watches.list()).map((x) => x.channelName).sort()).toEqual([
      'design',
      'off-topic',
      'town-square',
    ]);

    const listing = await w.answer('bob', 'off-topic', 'watching');
    expect(listing).toMatch(/The agents watch 3 channels:/);
    expect(listing).toMatch(/\| ~town-square \| @admin \|/);

    expect(await w.answer('admin', 'off-topic', 'unwatch')).toBe('The agents no longer watch ~off-topic.');
    expect(await w.answer('admin', 'off-topic', 'unwatch')).toBe('~off-topic was not watched; nothing changed.');
    expect(await w.answer('admin', 'town-square', 'unwatch ~design')).toBe('The agents no longer watch ~design.');
    const last = await w.answer('admin', 'town-square', 'unwatch ~town-square');
    expect(last).toMatch(/no longer watch ~town-square\.\nThe watch list is now empty, so every channel/);
    expect(await w.services.watches.list()).toEqual([]);
  });

  it('a channel admin (not a system admin) may watch and unwatch their channel; a plain member may not', async () => {
    // The creator of a private channel is its admin (scheme_admin), as Mattermost reports it over REST.
    w.fake.seed({ channels: [{ name: 'alice-room', type: 'P', members: ['alice', 'mcp-bridge', 'bob'] }] });
    expect(await w.answer('bob', 'alice-room', 'watch')).toMatch(
      /^Only system admins and channel admins of ~alice-room/,
    );
    expect(await w.services.watches.list()).toEqual([]);
    expect(await w.answer('alice', 'alice-room', 'watch')).toMatch(/^The agents now watch ~alice-room\./);
    expect((await w.services.watches.list()).map((x) => x.channelName)).toEqual(['alice-room']);
    expect(await w.answer('bob', 'alice-room', 'unwatch')).toMatch(/^Only system admins/);
    // admin of alice-room only: town-square is not theirs to change
    expect(await w.answer('alice', 'town-square', 'watch')).toMatch(/^Only system admins and channel admins/);
    expect(await w.answer('alice', 'alice-room', 'unwatch')).toMatch(/^The agents no longer watch ~alice-room\./);
    expect(await w.services.watches.list()).toEqual([]);
  });

  it('watch of a private channel the bot cannot see says how to fix it', async () => {
    const text = await w.answer('admin', 'town-square', 'watch ~dev');
    expect(text).toMatch(/^I cannot see ~dev: .*private and @mcp-bridge is not a member.*\/invite @mcp-bridge/);
    expect(await w.services.watches.list()).toEqual([]);
  });

  it('sessions is for system admins, and lists connected MCP sessions with key names and subscriptions', async () => {
    expect(await w.answer('alice', 'town-square', 'sessions')).toBe('Only system admins may list the MCP sessions.');
    expect(await w.answer('admin', 'town-square', 'sessions')).toBe('No MCP session is connected.');
    const client = await w.mcpClient();
    await client.subscribeResource({ uri: 'mattermost://commands' });
    const table = await w.answer('admin', 'town-square', 'sessions');
    expect(table).toMatch(/^#### 1 MCP session\n/);
    expect(table).toMatch(/\| agent \| slash-test-agent 1\.0\.0 \|/);
    expect(table).toContain('`mattermost://commands`');
    const status = await w.invoke('bob', 'town-square', 'status');
    expect(status.response?.text).toContain('| Agents | 1 MCP session connected |');
    await client.close();
  });
});
