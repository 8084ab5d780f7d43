/**
 * Faults switched at run time through the control API: the real 429, N
 * failures of a route, slow responses, dropping every socket.
 */
import { startFakeMattermost, type FakeMattermost } from './index';
import { client4, rawSocket } from './test-clients';

let fake: FakeMattermost;

beforeAll(async () => {
  fake = await startFakeMattermost();
});

afterEach(async () => {
  await control({ clear: true });
});

afterAll(async () => {
  await fake.stop();
});

async function control(body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const me = () => fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${fake.token('alice')}` } });

it('rate limits with the real headers, Retry-After and a text/plain body', async () => {
  await control({ rateLimit: { perSec: 1, maxBurst: 2 } });
  const ok = await me();
  expect(ok.status).toBe(200);
  expect(ok.headers.get('x-ratelimit-limit')).toBe('3');
  expect(ok.headers.get('x-ratelimit-remaining')).toBe('2');
  expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
  await me();
  await me();
  const limited = await me();
  expect(limited.status).toBe(429);
  expect(limited.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(await limited.text()).toBe('limit exceeded\n');
  // Client4 cannot read the text body: it throws a ClientError without a status_code (as with the real server).
  const err = (await client4(fake.url, fake.token('alice'))
    .getMe()
    .then(
      () => undefined,
      (e: unknown) => e,
    )) as Record<string, unknown>;
  expect(err).toMatchObject({ message: '' });
  expect(err.status_code).toBeUndefined();
  // The WebSocket upgrade is rate limited too.
  const ws = rawSocket(fake.url, { token: fake.token('alice') });
  await expect(ws.opened).rejects.toThrow(/429/);
  await control({ rateLimit: null });
  expect((await me()).status).toBe(200);
});

it('fails the next N matching requests with the given status, then recovers', async () => {
  const state = await control({ failNext: { method: 'POST', path: '/api/v4/posts', count: 2, status: 503 } });
  expect(state.failNext).toEqual([{ method: 'POST', path: '/api/v4/posts', count: 2, status: 503 }]);
  const alice = client4(fake.url, fake.token('alice'));
  const post = { channel_id: fake.channel('town-square').id, message: 'flaky' } as never;
  await expect(alice.createPost(post)).rejects.toMatchObject({ status_code: 503 });
  expect((await me()).status).toBe(200);
  await expect(alice.createPost(post)).rejects.toMatchObject({ status_code: 503 });
  await expect(alice.createPost(post)).resolves.toMatchObject({ message: 'flaky' });
  await control({ failNext: { path: '/api/v4/channels/*/posts', count: 1 } });
  await expect(alice.getPosts(fake.channel('town-square').id, 0, 5)).rejects.toMatchObject({ status_code: 500 });
  await expect(alice.getPosts(fake.channel('town-square').id, 0, 5)).resolves.toBeDefined();
});

it('slows matching routes down', async () => {
  await control({ slow: { path: '/api/v4/users/me', delayMs: 200 } });
  const start = Date.now();
  expect((await me()).status).toBe(200);
  expect(Date.now() - start).toBeGreaterThanOrEqual(190);
});

it('drops every WebSocket on request, keeping their replay queues', async () => {
  const s = rawSocket(fake.url, { token: fake.token('bob') });
  await s.next((f) => f.event === 'hello');
  const state = await control({ dropWebSockets: true });
  expect(state.dropped).toBe(1);
  await new Promise<void>((resolve) => (s.closed ? resolve() : s.ws.once('close', () => resolve())));
  const snap = fake.snapshot() as { connections: { active: boolean }[] };
  expect(snap.connections.some((c) => !c.active)).toBe(true);
});

it('refuses bad fault settings with a 400', async () => {
  for (const body of [
    { rateLimit: { perSec: 0 } },
    { failNext: { count: 0 } },
    { failNext: { count: 1, status: 200 } },
    { slow: { delayMs: -1 } },
  ]) {
    const res = await fetch(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 'fake.control.invalid.app_error' });
  }
});
