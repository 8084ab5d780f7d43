/**
 * Every JSON response of the simulated routes validates against its schema
 * in the official OpenAPI spec, with the documented status code (exceptions:
 * openapi.ts, one list, each with its reason). Errors are AppErrors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeMattermost, type FakeMattermost } from './index';
import { STATUS_EXCEPTIONS, Validator, loadSpec } from './openapi';

let fake: FakeMattermost;
let validator: Validator;
let hook: Server;
let hookUrl = '';

beforeAll(async () => {
  validator = new Validator(loadSpec());
  fake = await startFakeMattermost();
  hook = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ response_type: 'in_channel', text: 'done' }));
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await fake.stop();
  await new Promise((r) => hook.close(r));
});

interface Call {
  method: string;
  path: string;
  spec: string;
  as?: string;
  body?: unknown;
  raw?: { body: Blob | FormData | string; type?: string };
}

async function call(c: Call): Promise<{ status: number; type: string | null; json: unknown }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${fake.token(c.as ?? 'admin')}` };
  let body: BodyInit | undefined;
  if (c.raw) {
    body = c.raw.body;
    if (c.raw.type) headers['Content-Type'] = c.raw.type;
  } else if (c.body !== undefined) {
    body = JSON.stringify(c.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(fake.url + c.path, { method: c.method, headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? JSON.parse(text) : undefined };
}

async function expectValid(c: Call): Promise<unknown> {
  const res = await call(c);
  const key = `${c.method.toLowerCase()} ${c.spec}`;
  const { schema, documented } = validator.responseSchema(c.method, c.spec, res.status);
  const exception = STATUS_EXCEPTIONS[key];
  const documentedOk = documented.includes(String(res.status));
  expect({ key, status: res.status, ok: exception ? res.status === exception.status : documentedOk }).toEqual({
    key,
    status: res.status,
    ok: true,
  });
  expect(res.type).toBe('application/json');
  // A status exception is validated against the schema of the documented success code.
  const success = documented.find((d) => d.startsWith('2'));
  const resolved = schema ?? (success ? validator.responseSchema(c.method, c.spec, Number(success)).schema : undefined);
  if (!resolved) throw new Error(`no schema for ${key}`);
  expect({ key, problems: validator.validate(resolved, res.json) }).toEqual({ key, problems: [] });
  return res.json;
}

it('users, statuses, bots and tokens validate', async () => {
  const alice = fake.user('alice');
  const bob = fake.user('bob');
  await expectValid({
    method: 'POST',
    path: '/api/v4/users',
    spec: '/api/v4/users',
    body: { username: 'frank', email: 'frank@example.com', password: 'password1' },
  });
  await expectValid({ method: 'GET', path: '/api/v4/users/me', spec: '/api/v4/users/{user_id}', as: 'alice' });
  await expectValid({ method: 'GET', path: `/api/v4/users/${bob.id}`, spec: '/api/v4/users/{user_id}', as: 'alice' });
  await expectValid({
    method: 'GET',
    path: '/api/v4/users/username/bob',
    spec: '/api/v4/users/username/{username}',
    as: 'alice',
  });
  await expectValid({ method: 'POST', path: '/api/v4/users/ids', spec: '/api/v4/users/ids', body: [alice.id, bob.id] });
  await expectValid({
    method: 'POST',
    path: '/api/v4/users/search',
    spec: '/api/v4/users/search',
    body: { term: 'al' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/users?in_team=${fake.state.teams.acme.id}`,
    spec: '/api/v4/users',
  });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/users/${alice.id}/status`,
    spec: '/api/v4/users/{user_id}/status',
    as: 'alice',
    body: { user_id: alice.id, status: 'dnd' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/users/${alice.id}/status`,
    spec: '/api/v4/users/{user_id}/status',
  });
  await expectValid({
    method: 'POST',
    path: '/api/v4/users/status/ids',
    spec: '/api/v4/users/status/ids',
    body: [alice.id, bob.id],
  });
  const bot = (await expectValid({
    method: 'POST',
    path: '/api/v4/bots',
    spec: '/api/v4/bots',
    body: { username: 'helper-bot', display_name: 'Helper' },
  })) as { user_id: string };
  await expectValid({ method: 'GET', path: `/api/v4/bots/${bot.user_id}`, spec: '/api/v4/bots/{bot_user_id}' });
  await expectValid({ method: 'GET', path: '/api/v4/bots', spec: '/api/v4/bots' });
  await expectValid({
    method: 'POST',
    path: `/api/v4/users/${bot.user_id}/tokens`,
    spec: '/api/v4/users/{user_id}/tokens',
    body: { description: 'bridge' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/users/${bot.user_id}/tokens`,
    spec: '/api/v4/users/{user_id}/tokens',
  });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/bots/${bot.user_id}`,
    spec: '/api/v4/bots/{bot_user_id}',
    body: { display_name: 'Helper 2' },
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/bots/${bot.user_id}/disable`,
    spec: '/api/v4/bots/{bot_user_id}/disable',
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/bots/${bot.user_id}/enable`,
    spec: '/api/v4/bots/{bot_user_id}/enable',
  });
});

it('teams and channels validate', async () => {
  const team = fake.state.teams.acme;
  const carol = fake.seed({ users: [{ username: 'carol', teams: [] }] }).users.carol;
  await expectValid({
    method: 'GET',
    path: '/api/v4/users/me/teams',
    spec: '/api/v4/users/{user_id}/teams',
    as: 'alice',
  });
  await expectValid({ method: 'GET', path: `/api/v4/teams/${team.id}`, spec: '/api/v4/teams/{team_id}', as: 'alice' });
  await expectValid({ method: 'GET', path: '/api/v4/teams/name/acme', spec: '/api/v4/teams/name/{name}', as: 'alice' });
  await expectValid({ method: 'GET', path: '/api/v4/teams', spec: '/api/v4/teams' });
  await expectValid({
    method: 'POST',
    path: `/api/v4/teams/${team.id}/members`,
    spec: '/api/v4/teams/{team_id}/members',
    body: { team_id: team.id, user_id: carol.id },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/teams/${team.id}/members`,
    spec: '/api/v4/teams/{team_id}/members',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/teams/${team.id}/members/${carol.id}`,
    spec: '/api/v4/teams/{team_id}/members/{user_id}',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/teams/${team.id}/channels`,
    spec: '/api/v4/teams/{team_id}/channels',
    as: 'alice',
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/teams/${team.id}/channels/search`,
    spec: '/api/v4/teams/{team_id}/channels/search',
    as: 'alice',
    body: { term: 'top' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/users/me/teams/${team.id}/channels`,
    spec: '/api/v4/users/{user_id}/teams/{team_id}/channels',
    as: 'alice',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/teams/${team.id}/channels/name/dev`,
    spec: '/api/v4/teams/{team_id}/channels/name/{channel_name}',
    as: 'alice',
  });
  await expectValid({
    method: 'GET',
    path: '/api/v4/teams/name/acme/channels/name/off-topic',
    spec: '/api/v4/teams/name/{team_name}/channels/name/{channel_name}',
    as: 'alice',
  });
  const created = (await expectValid({
    method: 'POST',
    path: '/api/v4/channels',
    spec: '/api/v4/channels',
    as: 'alice',
    body: { team_id: team.id, name: 'spec-check', display_name: 'Spec check', type: 'P' },
  })) as { id: string };
  await expectValid({
    method: 'GET',
    path: `/api/v4/channels/${created.id}`,
    spec: '/api/v4/channels/{channel_id}',
    as: 'alice',
  });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/channels/${created.id}/patch`,
    spec: '/api/v4/channels/{channel_id}/patch',
    as: 'alice',
    body: { purpose: 'checking' },
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/channels/${created.id}/members`,
    spec: '/api/v4/channels/{channel_id}/members',
    as: 'alice',
    body: { user_id: fake.user('bob').id },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/channels/${created.id}/members`,
    spec: '/api/v4/channels/{channel_id}/members',
    as: 'alice',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/channels/${created.id}/members/${fake.user('bob').id}`,
    spec: '/api/v4/channels/{channel_id}/members/{user_id}',
    as: 'alice',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/channels/${created.id}/stats`,
    spec: '/api/v4/channels/{channel_id}/stats',
    as: 'alice',
  });
  await expectValid({
    method: 'POST',
    path: '/api/v4/channels/direct',
    spec: '/api/v4/channels/direct',
    as: 'bob',
    body: [fake.user('bob').id, fake.user('alice').id],
  });
  await expectValid({
    method: 'POST',
    path: '/api/v4/channels/group',
    spec: '/api/v4/channels/group',
    as: 'bob',
    body: [fake.user('alice').id, fake.user('admin').id],
  });
  await expectValid({
    method: 'DELETE',
    path: `/api/v4/channels/${created.id}/members/${fake.user('bob').id}`,
    spec: '/api/v4/channels/{channel_id}/members/{user_id}',
    as: 'alice',
  });
});

it('posts, threads, reactions, search and files validate', async () => {
  const channel = fake.channel('town-square');
  const team = fake.state.teams.acme;
  const alice = fake.user('alice');
  const root = (await expectValid({
    method: 'POST',
    path: '/api/v4/posts',
    spec: '/api/v4/posts',
    as: 'alice',
    body: { channel_id: channel.id, message: 'openapi root #spec' },
  })) as { id: string };
  const reply = (await expectValid({
    method: 'POST',
    path: '/api/v4/posts',
    spec: '/api/v4/posts',
    as: 'bob',
    body: { channel_id: channel.id, message: 'openapi reply', root_id: root.id },
  })) as { id: string };
  await expectValid({ method: 'GET', path: `/api/v4/posts/${root.id}`, spec: '/api/v4/posts/{post_id}', as: 'bob' });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/posts/${root.id}`,
    spec: '/api/v4/posts/{post_id}',
    as: 'alice',
    body: { id: root.id, message: 'openapi root (edited)' },
  });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/posts/${root.id}/patch`,
    spec: '/api/v4/posts/{post_id}/patch',
    as: 'alice',
    body: { message: 'patched' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/posts/${reply.id}/thread`,
    spec: '/api/v4/posts/{post_id}/thread',
    as: 'alice',
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/posts/${root.id}/pin`,
    spec: '/api/v4/posts/{post_id}/pin',
    as: 'alice',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/channels/${channel.id}/pinned`,
    spec: '/api/v4/channels/{channel_id}/pinned',
    as: 'alice',
  });
  await expectValid({
    method: 'POST',
    path: `/api/v4/posts/${root.id}/unpin`,
    spec: '/api/v4/posts/{post_id}/unpin',
    as: 'alice',
  });
  await expectValid({
    method: 'POST',
    path: '/api/v4/reactions',
    spec: '/api/v4/reactions',
    as: 'bob',
    body: { user_id: fake.user('bob').id, post_id: root.id, emoji_name: '+1' },
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/posts/${root.id}/reactions`,
    spec: '/api/v4/posts/{post_id}/reactions',
    as: 'alice',
  });
  await expectValid({ method: 'GET', path: `/api/v4/posts/${root.id}`, spec: '/api/v4/posts/{post_id}', as: 'alice' });
  await expectValid({
    method: 'DELETE',
    path: `/api/v4/users/me/posts/${root.id}/reactions/+1`,
    spec: '/api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}',
    as: 'bob',
  });
  for (const q of [
    '',
    '?page=0&per_page=5',
    `?since=${Date.now() - 60_000}`,
    `?before=${reply.id}`,
    `?after=${root.id}`,
  ]) {
    await expectValid({
      method: 'GET',
      path: `/api/v4/channels/${channel.id}/posts${q}`,
      spec: '/api/v4/channels/{channel_id}/posts',
      as: 'alice',
    });
  }
  await expectValid({
    method: 'POST',
    path: `/api/v4/teams/${team.id}/posts/search`,
    spec: '/api/v4/teams/{team_id}/posts/search',
    as: 'alice',
    body: { terms: 'openapi', is_or_search: false, page: 0, per_page: 20 },
  });
  const form = new FormData();
  form.append('channel_id', channel.id);
  form.append('files', new Blob(['hello file'], { type: 'text/plain' }), 'hello.txt');
  const upload = (await expectValid({
    method: 'POST',
    path: '/api/v4/files',
    spec: '/api/v4/files',
    as: 'alice',
    raw: { body: form },
  })) as { file_infos: { id: string }[] };
  const fileId = upload.file_infos[0].id;
  await expectValid({
    method: 'GET',
    path: `/api/v4/files/${fileId}/info`,
    spec: '/api/v4/files/{file_id}/info',
    as: 'alice',
  });
  const withFile = (await expectValid({
    method: 'POST',
    path: '/api/v4/posts',
    spec: '/api/v4/posts',
    as: 'alice',
    body: { channel_id: channel.id, message: 'a file', file_ids: [fileId] },
  })) as { id: string };
  await expectValid({
    method: 'GET',
    path: `/api/v4/posts/${withFile.id}/files/info`,
    spec: '/api/v4/posts/{post_id}/files/info',
    as: 'bob',
  });
  await expectValid({
    method: 'POST',
    path: '/api/v4/posts/ephemeral',
    spec: '/api/v4/posts/ephemeral',
    body: { user_id: alice.id, post: { channel_id: channel.id, message: 'psst' } },
  });
  await expectValid({
    method: 'DELETE',
    path: `/api/v4/posts/${reply.id}`,
    spec: '/api/v4/posts/{post_id}',
    as: 'bob',
  });
});

it('commands validate', async () => {
  const team = fake.state.teams.acme;
  const cmd = (await expectValid({
    method: 'POST',
    path: '/api/v4/commands',
    spec: '/api/v4/commands',
    body: { team_id: team.id, trigger: 'spec', method: 'P', url: hookUrl, auto_complete: true },
  })) as { id: string; trigger: string };
  await expectValid({
    method: 'GET',
    path: `/api/v4/commands?team_id=${team.id}&custom_only=true`,
    spec: '/api/v4/commands',
  });
  await expectValid({
    method: 'GET',
    path: `/api/v4/commands?team_id=${team.id}`,
    spec: '/api/v4/commands',
    as: 'alice',
  });
  await expectValid({ method: 'GET', path: `/api/v4/commands/${cmd.id}`, spec: '/api/v4/commands/{command_id}' });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/commands/${cmd.id}`,
    spec: '/api/v4/commands/{command_id}',
    body: { ...cmd, description: 'checked' },
  });
  await expectValid({
    method: 'PUT',
    path: `/api/v4/commands/${cmd.id}/regen_token`,
    spec: '/api/v4/commands/{command_id}/regen_token',
  });
  const response = (await expectValid({
    method: 'POST',
    path: '/api/v4/commands/execute',
    spec: '/api/v4/commands/execute',
    as: 'alice',
    body: { command: '/spec now', channel_id: fake.channel('town-square').id },
  })) as Record<string, unknown>;
  // CommandResponse is documented with Go field names; on the wire they are snake_case (spec README).
  expect(Object.keys(response).sort()).toEqual(
    [
      'attachments',
      'channel_id',
      'extra_responses',
      'goto_location',
      'icon_url',
      'props',
      'response_type',
      'skip_slack_parsing',
      'text',
      'trigger_id',
      'type',
      'username',
    ].sort(),
  );
  await expectValid({ method: 'DELETE', path: `/api/v4/commands/${cmd.id}`, spec: '/api/v4/commands/{command_id}' });
});

it('the validator rejects wrong types and missing keys (so the checks above can fail)', () => {
  const post = validator.resolve('#/components/schemas/Post');
  expect(validator.validate(post, { id: 'x', create_at: '1' }, '$', 'Post')).toEqual(
    expect.arrayContaining(['$.create_at: expected integer, got string', '$.message: missing']),
  );
  const list = validator.resolve('#/components/schemas/PostList');
  expect(
    validator.validate(
      list,
      { order: [], posts: { a: { id: 1 } }, next_post_id: '', prev_post_id: '' },
      '$',
      'PostList',
    ),
  ).toEqual(expect.arrayContaining(['$.posts.a.id: expected string, got number']));
  const team = validator.resolve('#/components/schemas/Team');
  expect(validator.validate(team, { id: 'x', policy_id: 5 }, '$', 'Team')).toEqual(
    expect.arrayContaining(['$.policy_id: expected string, got number']),
  );
});

it('error responses are AppErrors with the documented codes', async () => {
  const appError = validator.resolve('#/components/schemas/AppError');
  const cases: [Call, number, string][] = [
    [
      { method: 'GET', path: '/api/v4/posts/abc', spec: '/api/v4/posts/{post_id}' },
      400,
      'api.context.invalid_url_param.app_error',
    ],
    [
      {
        method: 'POST',
        path: '/api/v4/posts',
        spec: '/api/v4/posts',
        raw: { body: '{not json', type: 'application/json' },
      },
      400,
      'api.context.invalid_body_param.app_error',
    ],
    [
      {
        method: 'GET',
        path: `/api/v4/channels/${fake.channel('dev').id}/posts`,
        spec: '/api/v4/channels/{channel_id}/posts',
        as: 'bob',
      },
      403,
      'api.context.permissions.app_error',
    ],
    [
      { method: 'GET', path: `/api/v4/teams/${'a'.repeat(26)}`, spec: '/api/v4/teams/{team_id}' },
      404,
      'app.team.get.find.app_error',
    ],
  ];
  for (const [c, status, id] of cases) {
    const res = await call(c);
    expect({ path: c.path, status: res.status, id: (res.json as { id: string }).id }).toEqual({
      path: c.path,
      status,
      id,
    });
    expect(res.type).toBe('application/json');
    expect(validator.validate(appError, res.json)).toEqual([]);
    expect(Object.keys(res.json as object)).toEqual(['id', 'message', 'detailed_error', 'request_id', 'status_code']);
  }
  const unauth = await fetch(`${fake.url}/api/v4/users/me`);
  expect(unauth.status).toBe(401);
  expect(validator.validate(appError, await unauth.json())).toEqual([]);
});
