/**
 * Property tests at the MCP boundaries: whatever arrives — headers, bodies,
 * tool arguments, event ids — gets a clear answer and the server keeps running.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { RedisEventStore } from '../../src/mcp/event-store';
import { hostAllowed, hostPolicy, originAllowed } from '../../src/mcp/http/guards';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { connectRedis, testPrefix } from '../helpers/redis';
import { READ_KEY, buildServices, stopMcpTest, connectClient, testConfig, type TestServices } from './harness';

jest.setTimeout(60_000);

describe('MCP boundaries under generated input', () => {
  const prefix = testPrefix('mcp-fuzz');
  let redis: Redis;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    redis = connectRedis();
    services = buildServices(testConfig(prefix, { BRIDGE_RATE_LIMIT: '1000000' }));
    mcp = await startMcpHttp(services);
  });

  afterAll(() => stopMcpTest({ mcp, services, redis, prefix }));

  it('answers any body with a JSON-RPC error or result, never a crash', async () => {
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({
        jsonrpc: fc.constant('2.0'),
        id: fc.oneof(fc.integer(), fc.string()),
        method: fc.string(),
        params: fc.jsonValue(),
      }),
      fc.array(fc.record({ jsonrpc: fc.constant('2.0'), method: fc.string(), id: fc.integer() }), { maxLength: 5 }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (b, withSession) => {
        const headers: Record<string, string> = {
          authorization: `Bearer ${READ_KEY}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        };
        if (withSession) headers['mcp-session-id'] = 'not-a-session';
        const r = await fetch(mcp.url, {
          method: 'POST',
          headers,
          body: typeof b === 'string' ? b : JSON.stringify(b),
        });
        const text = await r.text();
        expect([200, 202, 400, 404, 406, 413, 415]).toContain(r.status);
        if (r.status >= 400)
          expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
      }),
      { numRuns: 150 },
    );
    // still serving
    const { client } = await connectClient(mcp.url, READ_KEY);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    // sessions created by generated initialize requests are ordinary sessions; nothing else is left behind
    for (const s of mcp.sessions.list()) await mcp.sessions.close(s, 'test', true);
  });

  it('answers any Content-Encoding and Content-Type with a JSON-RPC error, never a 500', async () => {
    const header = fc.oneof(
      fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'constructor', '__proto__', 'toString', 'GZIP'),
      fc.string({ maxLength: 40 }).map((v) => v.replace(/[^\t\x20-\x7e]/g, '')),
    );
    await fc.assert(
      fc.asyncProperty(header, header, async (encoding, contentType) => {
        const r = await fetch(mcp.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${READ_KEY}`,
            accept: 'application/json, text/event-stream',
            'content-encoding': encoding,
            'content-type': contentType,
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        const text = await r.text();
        expect([400, 406, 415]).toContain(r.status);
        expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
      }),
      { numRuns: 150 },
    );
  });

  it('answers any Authorization header without a known key with 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (header) => {
        const value = header.replace(/[^\t\x20-\x7e]/g, '');
        const r = await fetch(mcp.url, {
          method: 'POST',
          headers: { authorization: value, 'content-type': 'application/json' },
          body: '{}',
        });
        await r.text();
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }),
      { numRuns: 200 },
    );
  });

  it('gives random tool arguments a result or a validation error', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('get_events', 'wait_for_events', 'list_watches'),
        fc.dictionary(
          fc.constantFrom('cursor', 'limit', 'streams', 'types', 'timeout_ms', 'extra'),
          fc.oneof(fc.jsonValue(), fc.constant(0), fc.constant('1-0')),
        ),
        async (name, args) => {
          if (name === 'wait_for_events') args.timeout_ms = 0;
          const r = await client.callTool({ name, arguments: args });
          if (r.isError) {
            const error = (r.structuredContent as { error: { category: string; message: string } }).error;
            expect(['validation', 'forbidden', 'not_found', 'unavailable']).toContain(error.category);
            expect(error.message.length).toBeGreaterThan(10);
          } else {
            expect(r.structuredContent).toBeDefined();
          }
        },
      ),
      { numRuns: 150 },
    );
    await client.close();
  });

  it('maps only well-formed event ids to a stream (a never-issued g-id just replays this session from there)', async () => {
    const store = new RedisEventStore(redis, services.keys, 'fuzz');
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (id) => {
        const stream = await store.getStreamIdForEventId(id);
        if (stream !== undefined) expect(id.startsWith('g')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('host and origin checks never accept a foreign name', () => {
    const policy = hostPolicy({
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PUBLIC_URL: undefined,
      BRIDGE_ALLOWED_HOSTS: ['bridge.example.com'],
      BRIDGE_ALLOWED_ORIGINS: [],
    });
    const foreign = fc.domain().filter((d) => !['localhost', 'bridge.example.com'].includes(d.toLowerCase()));
    fc.assert(
      fc.property(foreign, fc.option(fc.integer({ min: 1, max: 65535 })), (domain, port) => {
        const host = port === null ? domain : `${domain}:${port}`;
        expect(hostAllowed(policy, host)).toBe(false);
        expect(originAllowed(policy, `https://${host}`)).toBe(false);
      }),
      { numRuns: 500 },
    );
    expect(hostAllowed(policy, 'bridge.example.com:443')).toBe(true);
    expect(hostAllowed(policy, '[::1]:8080')).toBe(true);
    expect(originAllowed(policy, 'http://localhost:3000')).toBe(true);
  });
});
