import fc from 'fast-check';
import { runInstall } from '../../src/install/install';
import { encodeSlashForm } from '../../src/slash/form';
import { postToResponseUrl, ResponseUrlError, responseUrlState } from '../../src/slash/response-url';
import { ephemeral } from '../../src/slash/response';
import { eventually, SlashWorld, type InvokeResult } from './world';

let w: SlashWorld;
let captured: Record<string, string>;
let token: string;
let headers: Record<string, string>;

beforeAll(async () => {
  w = await SlashWorld.start();
  const r = await w.invoke('alice', 'town-square', 'help');
  captured = Object.fromEntries(r.request?.form ?? []);
  headers = r.request?.headers ?? {};
  token = captured.token;
});

afterAll(async () => {
  await w?.stop();
});

async function post(
  body: string | Buffer,
  contentType = 'application/x-www-form-urlencoded',
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${w.publicUrl}/slash`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, json: safeJson(text) };
}

function safeJson(text: string): Record<string, string> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function queued(): Promise<number> {
  const c = await w.followups.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  return Object.values(c).reduce((a, b) => a + b, 0);
}

const alive = async () => {
  const r: InvokeResult = await w.invoke('bob', 'town-square', 'help');
  expect(r.status).toBe(200);
  expect(r.response?.text).toContain('/mcp ask');
};

describe('POST /slash refuses what Mattermost would never send', () => {
  it('a form from Mattermost carries the token in the form and in Authorization: Token', () => {
    expect(token).toMatch(/^[a-z0-9]{26}$/);
    expect(headers.Authorization).toBe(`Token ${token}`);
    expect(captured.response_url).toMatch(/\/hooks\/commands\/[a-z0-9]{26}$/);
  });

  it('a wrong token → 401 and nothing is queued or logged', async () => {
    const jobs = await queued();
    const head = await w.services.eventLog.head();
    for (const text of ['ask do something', 'watch', 'help']) {
      const r = await post(encodeSlashForm({ ...captured, token: 'wrongwrongwrongwrongwrong1', text }));
      expect(r.status).toBe(401);
      expect(r.contentType).toBe('application/json');
      expect(r.json?.error).toMatch(/unknown slash-command token/);
    }
    const { token: _t, ...noToken } = captured;
    expect((await post(encodeSlashForm({ ...noToken, text: 'ask x' }))).status).toBe(401);
    // the Authorization header is an accepted carrier, the right token only
    expect(
      (await post(encodeSlashForm({ ...noToken, text: 'help' }), undefined, { Authorization: `Token ${token}` }))
        .status,
    ).toBe(200);
    expect(
      (await post(encodeSlashForm({ ...noToken, text: 'help' }), undefined, { Authorization: 'Token nope' })).status,
    ).toBe(401);
    expect(await queued()).toBe(jobs);
    expect(await w.services.eventLog.head()).toBe(head);
  });

  it('a command whose token was regenerated is refused until install saves the new one', async () => {
    const [cmd] = w.install.commands;
    await w.admin.regenCommandToken(cmd.id);
    const refused = await w.invoke('alice', 'town-square', 'help');
    expect(refused.status).toBe(500);
    expect(refused.error?.message).toMatch(/returned response 401/);

    const lines: string[] = [];
    const again = await runInstall(
      w.config,
      { url: w.fake.url, adminToken: w.fake.token('admin'), publicUrl: w.publicUrl, team: ['acme'] },
      { print: (l) => lines.push(l), redis: w.redis },
    );
    expect(again.steps.find((s) => s.what.startsWith('token of /mcp'))).toMatchObject({ outcome: 'updated' });
    await eventually(
      async () => (await w.invoke('alice', 'town-square', 'help')).status === 200,
      5000,
      'the new token',
    );
    token = (await w.invoke('alice', 'town-square', 'help')).request?.form.find(([k]) => k === 'token')?.[1] as string;
    captured.token = token;
  });

  it.each([
    ['missing fields', () => encodeSlashForm({ token, text: 'help' }), /field team_id is missing/],
    [
      'a forged user id',
      () => encodeSlashForm({ ...captured, user_id: '../../etc/passwd' }),
      /user_id is not a Mattermost id/,
    ],
    ['1 MiB of text', () => encodeSlashForm({ ...captured, text: 'a'.repeat(1024 * 1024) }), /larger than 65536 bytes/],
    ['broken percent-encoding', () => `${encodeSlashForm(captured)}&text=%ZZ`, /percent-encoded/],
    [
      'invalid UTF-8 bytes',
      () => Buffer.concat([Buffer.from(`token=${token}&text=`), Buffer.from([0xff, 0xfe])]),
      /not valid UTF-8/,
    ],
    ['unpaired mentions', () => encodeSlashForm({ ...captured, user_mentions: 'bob' }), /user_mentions has 1 values/],
  ])('%s → 400 with a message', async (_what, body, message) => {
    const jobs = await queued();
    const r = await post(body());
    expect(r.status).toBe(400);
    expect(r.contentType).toBe('application/json');
    expect(r.json?.error).toMatch(message);
    expect(await queued()).toBe(jobs);
    await alive();
  });

  it('other encodings and methods are refused', async () => {
    expect((await post(JSON.stringify(captured), 'application/json')).status).toBe(400);
    expect(
      (await post(encodeSlashForm(captured), 'application/x-www-form-urlencoded; charset=iso-8859-1')).status,
    ).toBe(400);
    expect((await post(encodeSlashForm(captured), 'multipart/form-data; boundary=x')).status).toBe(400);
    const get = await fetch(`${w.publicUrl}/slash`);
    expect(get.status).toBe(405);
    await alive();
  });

  it('answers any generated form body with 200, 400 or 401 and a JSON body, and stays up (property)', async () => {
    const valid = encodeSlashForm({ ...captured, text: 'help' });
    const piece = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('%', '%E0%A4', '%FF', '+', '=', '&', '&&', '==', '%00', 'text=', 'token=', 'user_mentions=x'),
    );
    const body = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
      fc.array(piece, { maxLength: 6 }).map((p) => `token=${token}&${p.join('')}`),
      fc.array(piece, { maxLength: 6 }).map((p) => `${valid}&${p.join('')}`),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await post(b);
        expect([200, 400, 401]).toContain(r.status);
        expect(r.contentType).toBe('application/json');
        expect(r.json).toBeDefined();
        if (r.status !== 200) expect(typeof r.json?.error).toBe('string');
      }),
      { numRuns: 100 },
    );
    await alive();
  });
});

describe('answers within 3 s, later ones through response_url', () => {
  it('when the worker is busy the reply says "working on it" in time, and the answer follows', async () => {
    const admin = await w.socket('admin');
    await w.worker.pause();
    const before = admin.seen.length;
    const t0 = Date.now();
    const r = await w.invoke('admin', 'town-square', 'sessions');
    const elapsed = Date.now() - t0;
    expect(r.response?.text).toBe('Working on `/mcp sessions`… the answer follows in a moment.');
    expect(elapsed).toBeLessThan(3000);
    w.worker.resume();
    await eventually(() => admin.seen.length >= before + 2, 10_000, 'the delayed answer');
    expect(admin.seen[before + 1].message).toBe('No MCP session is connected.');
    const url = Object.fromEntries(r.request?.form ?? []).response_url;
    expect(await responseUrlState(w.redis, w.services.keys, url)).toMatchObject({ usesLeft: 4 });
  });

  it('spends a response URL at most 5 times, as Mattermost allows', async () => {
    const r = await w.invoke('alice', 'town-square', 'help');
    const url = Object.fromEntries(r.request?.form ?? []).response_url;
    const opts = { redis: w.redis, keys: w.services.keys };
    for (let i = 1; i <= 5; i++) await postToResponseUrl(url, ephemeral(`note ${i}`), opts);
    await expect(postToResponseUrl(url, ephemeral('one too many'), opts)).rejects.toMatchObject({ reason: 'used_up' });
    expect(await responseUrlState(w.redis, w.services.keys, url)).toMatchObject({ usesLeft: 0 });
  });

  it('does not try an expired response URL', async () => {
    await expect(
      postToResponseUrl(`${w.fake.url}/hooks/commands/ybndrfg8ejkmcpqxot1uwisza3`, ephemeral('late'), {
        redis: w.redis,
        keys: w.services.keys,
      }),
    ).rejects.toBeInstanceOf(ResponseUrlError);
  });
});
