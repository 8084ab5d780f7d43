/**
 * Slash commands: CRUD with the real validation, the outgoing request to the
 * command URL (every form field, Authorization: Token), the reply handling
 * (JSON or text, ephemeral / in_channel, extra_responses), the failure modes
 * (non-200, bad JSON, timeout, 1 MiB cap) and response_url's 5 uses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from '@mattermost/types/integrations';
import { startFakeMattermost, type FakeMattermost } from './index';
import { client4, postOf, rawSocket, type RawSocket } from './test-clients';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let fake: FakeMattermost;
let bridge: Server;
let bridgeUrl = '';
const seen: Seen[] = [];
let reply: (req: Seen, res: ServerResponse) => void = (_req, res) => res.end();
const sockets: RawSocket[] = [];

beforeAll(async () => {
  fake = await startFakeMattermost({ commandTimeoutMs: 300, siteUrl: 'https://chat.example.com' });
  bridge = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      reply(s, res);
    });
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', () => r()));
  bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await fake.stop();
  bridge.closeAllConnections();
  await new Promise((r) => bridge.close(r));
});

const json = (body: unknown) => (_req: Seen, res: ServerResponse) => {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
};

async function register(trigger: string, extra: Partial<Command> = {}): Promise<Command> {
  const admin = client4(fake.url, fake.token('admin'));
  return admin.addCommand({
    team_id: fake.state.teams.acme.id,
    trigger,
    method: 'P',
    url: `${bridgeUrl}/slash`,
    ...extra,
  } as Command);
}

async function socketOf(user: string): Promise<RawSocket> {
  const s = rawSocket(fake.url, { token: fake.token(user) });
  sockets.push(s);
  await s.next((f) => f.event === 'hello');
  return s;
}

describe('registration', () => {
  it('creates (201, token), lists, edits, regenerates the token and deletes', async () => {
    const admin = client4(fake.url, fake.token('admin'));
    const cmd = await register('crud');
    expect(cmd.token).toMatch(/^[a-z0-9]{26}$/);
    expect(cmd.trigger).toBe('crud');
    const custom = await admin.getCustomTeamCommands(fake.state.teams.acme.id);
    expect(custom.map((c) => c.id)).toContain(cmd.id);
    const all = await client4(fake.url, fake.token('alice')).getCommandsList(fake.state.teams.acme.id);
    expect(all.map((c) => c.trigger)).toEqual(expect.arrayContaining(['away', 'echo']));
    const edited = await admin.editCommand({ ...cmd, description: 'edited' });
    expect(edited.description).toBe('edited');
    const { token } = await admin.regenCommandToken(cmd.id);
    expect(token).not.toBe(cmd.token);
    await admin.deleteCommand(cmd.id);
    expect((await admin.getCustomTeamCommands(fake.state.teams.acme.id)).map((c) => c.id)).not.toContain(cmd.id);
  });

  it('rejects bad triggers, urls, duplicates and non-admins', async () => {
    await expect(register('/slashy')).rejects.toMatchObject({
      status_code: 400,
      server_error_id: 'model.command.is_valid.trigger.app_error',
    });
    await expect(register('two words')).rejects.toMatchObject({ status_code: 400 });
    await expect(register('badurl', { url: 'ftp://x' })).rejects.toMatchObject({
      server_error_id: 'model.command.is_valid.url.app_error',
    });
    await register('dupe');
    await expect(register('DUPE')).rejects.toMatchObject({
      server_error_id: 'api.command.duplicate_trigger.app_error',
    });
    const alice = client4(fake.url, fake.token('alice'));
    await expect(
      alice.addCommand({ team_id: fake.state.teams.acme.id, trigger: 'mine', method: 'P', url: bridgeUrl } as Command),
    ).rejects.toMatchObject({ status_code: 403 });
  });
});

describe('execution', () => {
  it('POSTs the real form with Authorization: Token and posts an in_channel reply as the invoker', async () => {
    const cmd = await register('mcp');
    seen.length = 0;
    reply = json({ response_type: 'in_channel', text: 'hello from the bridge' });
    const alice = await socketOf('alice');
    const channel = fake.channel('town-square');
    const api = client4(fake.url, fake.token('alice'));
    const response = await api.executeCommand('/MCP  ask summarize @bob in ~off-topic', {
      channel_id: channel.id,
      team_id: '',
    } as never);
    expect(response).toMatchObject({ response_type: 'in_channel', text: 'hello from the bridge' });
    expect(String((response as { trigger_id: string }).trigger_id)).not.toBe('');
    expect(seen).toHaveLength(1);
    const req = seen[0];
    expect(req.method).toBe('POST');
    expect(req.headers.authorization).toBe(`Token ${cmd.token}`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.accept).toBe('application/json');
    const form = new URLSearchParams(req.body);
    const keys = [...new Set([...form.keys()])];
    expect(keys).toEqual([...keys].sort());
    expect(Object.fromEntries([...form.entries()].filter(([k]) => !k.includes('mentions')))).toEqual({
      channel_id: channel.id,
      channel_name: 'town-square',
      command: '/mcp',
      response_url: expect.stringMatching(/^https:\/\/chat\.example\.com\/hooks\/commands\/[a-z0-9]{26}$/),
      team_domain: 'acme',
      team_id: fake.state.teams.acme.id,
      text: 'ask summarize @bob in ~off-topic',
      token: cmd.token,
      trigger_id: expect.any(String),
      user_id: fake.user('alice').id,
      user_name: 'alice',
    });
    expect(form.getAll('user_mentions')).toEqual(['bob']);
    expect(form.getAll('user_mentions_ids')).toEqual([fake.user('bob').id]);
    expect(form.getAll('channel_mentions')).toEqual(['off-topic']);
    expect(form.getAll('channel_mentions_ids')).toEqual([fake.channel('off-topic').id]);
    const posted = await alice.next((f) => f.event === 'posted' && postOf(f).message === 'hello from the bridge');
    expect(postOf(posted).user_id).toBe(fake.user('alice').id);
  });

  it('ephemeral and text replies go only to the invoker; extra_responses each become a post', async () => {
    await register('eph');
    const alice = await socketOf('alice');
    const bob = await socketOf('bob');
    reply = json({
      text: 'only you',
      extra_responses: [{ response_type: 'in_channel', text: 'extra one' }, { text: 'extra two' }],
    });
    await fake.invokeCommand({ user: 'alice', channel: 'town-square', command: 'eph', text: 'x' });
    const eph = await alice.next((f) => f.event === 'ephemeral_message' && postOf(f).message === 'only you');
    expect(eph.broadcast).toMatchObject({ user_id: fake.user('alice').id, channel_id: fake.channel('town-square').id });
    expect(postOf(eph).type).toBe('system_ephemeral');
    await alice.next((f) => f.event === 'ephemeral_message' && postOf(f).message === 'extra two');
    await bob.next((f) => f.event === 'posted' && postOf(f).message === 'extra one');
    reply = (_req, res) => {
      res.setHeader('Content-Type', 'text/plain');
      res.end('plain *text*');
    };
    const result = await fake.invokeCommand({ user: 'alice', channel: 'town-square', command: 'eph' });
    expect(result.response).toMatchObject({ response_type: '', text: 'plain *text*' });
    await alice.next((f) => f.event === 'ephemeral_message' && postOf(f).message === 'plain *text*');
    expect(bob.frames.some((f) => f.event === 'ephemeral_message')).toBe(false);
  });

  it('GET commands send the form in the query string', async () => {
    await register('getter', { method: 'G', url: `${bridgeUrl}/get?x=1` });
    seen.length = 0;
    reply = json({ text: 'ok' });
    await fake.invokeCommand({ user: 'bob', channel: 'town-square', command: 'getter', text: 'hi' });
    expect(seen[0].method).toBe('GET');
    const q = new URL(seen[0].url, 'http://x').searchParams;
    expect(q.get('x')).toBe('1');
    expect(q.get('text')).toBe('hi');
    expect(q.get('command')).toBe('/getter');
  });

  it('fails like the server on non-200, bad JSON and timeouts; caps the body at 1 MiB', async () => {
    await register('broken');
    const api = client4(fake.url, fake.token('alice'));
    const channel_id = fake.channel('town-square').id;
    reply = (_req, res) => {
      res.statusCode = 500;
      res.end('nope');
    };
    await expect(api.executeCommand('/broken', { channel_id } as never)).rejects.toMatchObject({
      status_code: 500,
      server_error_id: 'api.command.execute_command.failed_resp.app_error',
    });
    reply = (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{not json');
    };
    await expect(api.executeCommand('/broken', { channel_id } as never)).rejects.toMatchObject({
      server_error_id: 'api.command.execute_command.failed_empty.app_error',
    });
    reply = (_req, res) => setTimeout(() => res.end('late'), 1500);
    await expect(api.executeCommand('/broken', { channel_id } as never)).rejects.toMatchObject({
      server_error_id: 'api.command.execute_command.failed.app_error',
    });
    reply = (_req, res) => {
      res.setHeader('Content-Type', 'text/plain');
      res.end('x'.repeat(2 * 1024 * 1024));
    };
    const big = await fake.invokeCommand({ user: 'alice', channel: 'town-square', command: 'broken' });
    expect(big.response.text).toHaveLength(1024 * 1024);
    await expect(api.executeCommand('/nosuch', { channel_id } as never)).rejects.toMatchObject({
      status_code: 404,
      server_error_id: 'api.command.execute_command.not_found.app_error',
    });
    const bob = client4(fake.url, fake.token('bob'));
    await expect(bob.executeCommand('/broken', { channel_id: fake.channel('dev').id } as never)).rejects.toMatchObject({
      status_code: 403,
    });
  });

  it('runs built-ins like /echo and /away', async () => {
    const bob = await socketOf('bob');
    await fake.invokeCommand({ user: 'bob', channel: 'town-square', command: 'echo', text: 'said it' });
    await bob.next((f) => f.event === 'posted' && postOf(f).message === 'said it');
    await fake.invokeCommand({ user: 'bob', channel: 'town-square', command: 'away' });
    await bob.next((f) => f.event === 'status_change' && f.data?.status === 'away');
  });
});

describe('response_url and the control API', () => {
  it('takes JSON or text 5 times within 30 minutes, then refuses', async () => {
    await register('later');
    reply = json({ text: 'working on it' });
    const alice = await socketOf('alice');
    const res = await fetch(`${fake.url}/__fake/commands/invoke`, {
      method: 'POST',
      body: JSON.stringify({ user: 'alice', channel: 'town-square', command: 'later', text: 'go' }),
    });
    const invoked = (await res.json()) as {
      status: number;
      request: { form: [string, string][] };
      reply: { status: number; body: string };
    };
    expect(invoked.status).toBe(200);
    expect(invoked.reply).toMatchObject({ status: 200, body: JSON.stringify({ text: 'working on it' }) });
    const responseUrl = new URL(Object.fromEntries(invoked.request.form).response_url);
    const hookUrl = `${fake.url}${responseUrl.pathname}`;
    for (let i = 0; i < 5; i++) {
      const r =
        i % 2 === 0
          ? await fetch(hookUrl, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ response_type: 'in_channel', text: `delayed ${i}` }),
            })
          : await fetch(hookUrl, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: `delayed ${i}` });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain');
      expect(await r.text()).toBe('ok');
    }
    await alice.next((f) => f.event === 'posted' && postOf(f).message === 'delayed 4');
    await alice.next((f) => f.event === 'ephemeral_message' && postOf(f).message === 'delayed 3');
    const sixth = await fetch(hookUrl, { method: 'POST', body: 'too many' });
    expect(sixth.status).toBe(400);
    expect(await sixth.json()).toMatchObject({ id: 'app.command_webhook.try_use.invalid' });
    const unknown = await fetch(`${fake.url}/hooks/commands/${'q'.repeat(26)}`, { method: 'POST', body: 'x' });
    expect(unknown.status).toBe(404);
  });

  it('expires response URLs after 30 minutes', async () => {
    await register('expiring');
    reply = json({ text: 'soon' });
    const result = await fake.invokeCommand({ user: 'alice', channel: 'town-square', command: 'expiring' });
    const hookId = new URL(Object.fromEntries(result.exchange!.request.form).response_url).pathname.split('/').pop()!;
    fake.store.commandWebhooks.get(hookId)!.create_at -= 31 * 60 * 1000;
    const r = await fetch(`${fake.url}/hooks/commands/${hookId}`, { method: 'POST', body: 'late' });
    expect(r.status).toBe(400);
  });

  it('reports failures of the bridge with what was sent and received', async () => {
    await register('failing');
    reply = (_req, res) => {
      res.statusCode = 503;
      res.end('down');
    };
    const res = await fetch(`${fake.url}/__fake/commands/invoke`, {
      method: 'POST',
      body: JSON.stringify({ user: 'bob', channel: 'off-topic', command: '/failing' }),
    });
    const body = (await res.json()) as { status: number; error: { id: string }; reply: { status: number } };
    expect(body).toMatchObject({
      status: 500,
      error: { id: 'api.command.execute_command.failed_resp.app_error' },
      reply: { status: 503 },
    });
  });
});
