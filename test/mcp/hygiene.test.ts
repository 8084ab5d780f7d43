/**
 * /mcp hygiene over real HTTP: every bad request gets its proper answer and
 * changes nothing (no session, no subscription, no state in Redis).
 */
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { MCP_MAX_BODY_BYTES } from '../../src/mcp/http/app';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import {
  ADMIN_KEY,
  READ_KEY,
  WRITE_KEY,
  buildServices,
  stopMcpTest,
  connectClient,
  testConfig,
  type TestServices,
} from './harness';

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function raw(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path ?? u.pathname,
        method: opts.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...opts.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

describe('/mcp hygiene', () => {
  const prefix = testPrefix('mcp-hygiene');
  let redis: Redis;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    redis = connectRedis();
    services = buildServices(
      testConfig(prefix, { BRIDGE_ALLOWED_ORIGINS: 'https://chat.example.com', BRIDGE_RATE_LIMIT: '100000' }),
    );
    mcp = await startMcpHttp(services);
  });

  afterAll(() => stopMcpTest({ mcp, services, redis, prefix }));

  const sessionsInRedis = () => redis.zcard(services.keys.mcpSessions);

  it('answers a request without key with 401 and WWW-Authenticate: Bearer, creating no session', async () => {
    const r = await raw(mcp.url, { body: JSON.stringify(INIT) });
    expect(r.status).toBe(401);
    expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer /);
    expect(JSON.parse(r.body)).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) }, id: null });
    expect(mcp.sessions.size).toBe(0);
    expect(await sessionsInRedis()).toBe(0);
  });

  it('answers a wrong key (and a wrong scheme) with 401', async () => {
    for (const authorization of ['Bearer not-a-key-0123456789', `Basic ${READ_KEY}`, `Bearer ${READ_KEY}x`, 'Bearer']) {
      const r = await raw(mcp.url, { headers: { authorization }, body: JSON.stringify(INIT) });
      expect(r.status).toBe(401);
      expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer /);
      expect(r.body).not.toContain(READ_KEY);
    }
    expect(mcp.sessions.size).toBe(0);
  });

  it('answers a foreign Host with 403 and a JSON-RPC error', async () => {
    const r = await raw(mcp.url, {
      headers: { host: 'evil.example', authorization: `Bearer ${READ_KEY}` },
      body: JSON.stringify(INIT),
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/Invalid Host/);
    expect(mcp.sessions.size).toBe(0);
  });

  it('answers a foreign Origin with 403, and accepts a configured or same-host one', async () => {
    const bad = await raw(mcp.url, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${READ_KEY}` },
      body: JSON.stringify(INIT),
    });
    expect(bad.status).toBe(403);
    expect(JSON.parse(bad.body).error.message).toMatch(/Invalid Origin/);
    expect(mcp.sessions.size).toBe(0);
    for (const origin of ['https://chat.example.com', `http://localhost:${mcp.port}`]) {
      const ok = await raw(mcp.url, {
        headers: { origin, authorization: `Bearer ${READ_KEY}` },
        body: JSON.stringify(INIT),
      });
      expect(ok.status).toBe(200);
      const sid = String(ok.headers['mcp-session-id']);
      const del = await raw(mcp.url, {
        method: 'DELETE',
        headers: { 'mcp-session-id': sid, authorization: `Bearer ${READ_KEY}` },
      });
      expect(del.status).toBe(200);
    }
    expect(mcp.sessions.size).toBe(0);
    expect(await sessionsInRedis()).toBe(0);
  });

  it('refuses a write tool to a read-only key with 403 insufficient_scope, and hides it from tools/list', async () => {
    const { client, transport } = await connectClient(mcp.url, READ_KEY);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('get_events');
    expect(names).not.toContain('watch_channel');
    const sid = transport.sessionId!;
    const r = await raw(mcp.url, {
      headers: { authorization: `Bearer ${READ_KEY}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'watch_channel', arguments: { channel: '~town-square' } },
      }),
    });
    expect(r.status).toBe(403);
    expect(String(r.headers['www-authenticate'])).toMatch(/error="insufficient_scope"/);
    expect(String(r.headers['www-authenticate'])).toMatch(/scope="write"/);
    expect(JSON.parse(r.body).error.data).toEqual({ error: 'insufficient_scope', scope: 'write' });
    expect(await redis.exists(services.keys.watches)).toBe(0);
    await client.close();
  });

  it('keeps a session to the key that opened it', async () => {
    const { client, transport } = await connectClient(mcp.url, WRITE_KEY);
    const r = await raw(mcp.url, {
      headers: { authorization: `Bearer ${READ_KEY}`, 'mcp-session-id': transport.sessionId! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(r.status).toBe(404);
    await client.close();
  });

  it('reads gzip bodies, refuses other encodings and charsets with 415, an empty body with 400', async () => {
    const auth = { authorization: `Bearer ${READ_KEY}` };
    const zipped = await raw(mcp.url, {
      headers: { ...auth, 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(INIT)),
    });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['mcp-session-id']).toBeTruthy();
    await mcp.sessions.close(mcp.sessions.get(String(zipped.headers['mcp-session-id']))!, 'test', true);
    const before = await sessionsInRedis();
    const cases: [Record<string, string>, string | Buffer, number, RegExp][] = [
      [{ 'content-encoding': 'compress' }, JSON.stringify(INIT), 415, /Content-Encoding "compress"/],
      [{ 'content-encoding': 'constructor' }, JSON.stringify(INIT), 415, /Content-Encoding "constructor"/],
      [{ 'content-type': 'application/json; charset=latin1' }, JSON.stringify(INIT), 415, /charset "latin1"/],
      [{ 'content-encoding': 'gzip' }, 'not gzip at all', 400, /not valid gzip/],
      [{}, '', 400, /empty body/],
      [{}, '"a string"', 400, /invalid JSON/],
    ];
    for (const [headers, body, status, message] of cases) {
      const r = await raw(mcp.url, { headers: { ...auth, ...headers }, body });
      expect([r.status, JSON.parse(r.body).error.message]).toEqual([status, expect.stringMatching(message)]);
    }
    expect(await sessionsInRedis()).toBe(before);
  });

  it('routes /mcp like express did (trailing slash, query, letter case) and answers other methods with 405', async () => {
    const auth = { authorization: `Bearer ${READ_KEY}` };
    for (const path of ['/mcp/', '/MCP?x=1']) {
      const r = await raw(mcp.url, {
        path,
        headers: auth,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(r.status).toBe(400); // reached the session manager: no session yet
    }
    const put = await raw(mcp.url, { method: 'PUT', headers: auth, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE');
    const other = await raw(mcp.url, { method: 'GET', path: '/mcpx', headers: auth });
    expect(other.status).toBe(404);
  });

  it('answers an oversized body with 413 and creates nothing', async () => {
    const before = await sessionsInRedis();
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(MCP_MAX_BODY_BYTES) } });
    const r = await raw(mcp.url, { headers: { authorization: `Bearer ${READ_KEY}` }, body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toMatch(/larger than/);
    expect(await sessionsInRedis()).toBe(before);
  });

  it('answers a request without session that is not initialize with 400, and an unknown session with 404', async () => {
    const noSession = await raw(mcp.url, {
      headers: { authorization: `Bearer ${READ_KEY}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    const unknown = await raw(mcp.url, {
      headers: { authorization: `Bearer ${READ_KEY}`, 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    const badJson = await raw(mcp.url, { headers: { authorization: `Bearer ${READ_KEY}` }, body: '{"jsonrpc":' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).error.code).toBe(-32700);
  });

  it('holds at most BRIDGE_MAX_SUBSCRIPTIONS subscriptions: of 1,000, the first 100 are accepted', async () => {
    const { client, transport } = await connectClient(mcp.url, ADMIN_KEY);
    const results: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < 1000; i += 50) {
      // batches keep the client's own abort listeners under Node's warning threshold
      const batch = Array.from({ length: 50 }, (_, j) => client.subscribeResource({ uri: `test://resource/${i + j}` }));
      results.push(...(await Promise.allSettled(batch)));
    }
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toBe(100);
    expect(refused).toHaveLength(900);
    expect(String(refused[0].reason)).toMatch(/BRIDGE_MAX_SUBSCRIPTIONS/);
    const sid = transport.sessionId!;
    expect(await redis.scard(services.keys.mcpSubscriptions(sid))).toBe(100);
    expect(mcp.fanout.subscriptionCount).toBe(100);
    // unsubscribing frees a slot
    await client.unsubscribeResource({ uri: 'test://resource/0' });
    await client.subscribeResource({ uri: 'test://resource/extra' });
    await client.close();
    const del = await raw(mcp.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sid, authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(del.status).toBe(200);
    expect(mcp.fanout.subscriptionCount).toBe(0);
    expect(await redis.exists(services.keys.mcpSubscriptions(sid))).toBe(0);
  });

  it('rate-limits each key: 429 with Retry-After once its requests per minute are spent', async () => {
    const limited = buildServices(testConfig(`${prefix}-rl`, { BRIDGE_RATE_LIMIT: '3' }));
    const server = await startMcpHttp(limited);
    try {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 5; i++) {
        const r = await raw(server.url, {
          headers: { authorization: `Bearer ${READ_KEY}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
        });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = String(r.headers['retry-after']);
      }
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // another key has its own budget
      const other = await raw(server.url, {
        headers: { authorization: `Bearer ${WRITE_KEY}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(other.status).toBe(400);
    } finally {
      await server.stop();
      await limited.eventLog.close();
      await cleanupPrefix(redis, `${prefix}-rl`);
      limited.redis.disconnect();
    }
  });

  it('serves /healthz, /readyz per component and /metrics (admin key only)', async () => {
    const base = mcp.url.replace(/\/mcp$/, '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', components: { redis: { ok: true } } });
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await anonymous.text()).not.toMatch(/mmb_/);
    const reader = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(reader.status).toBe(403);
    expect(await reader.text()).toMatch(/lacks the admin scope/);
    const metrics = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).text();
    expect(metrics).toMatch(/mmb_mcp_sessions/);
  });
});
