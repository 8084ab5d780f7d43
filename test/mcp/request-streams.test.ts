/**
 * Request (POST) streams over real HTTP: a response the client received whole
 * is never written to the event store (it will not be resumed), which keeps a
 * Redis write off every tool call (docs/benchmarks.md, tool overhead).
 * Replay of held events is covered in event-store.test.ts.
 */
import type { Redis } from 'ioredis';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { REQUEST_HOLD_MS } from '../../src/mcp/event-store';
import { connectRedis, testPrefix } from '../helpers/redis';
import {
  ADMIN_KEY,
  READ_KEY,
  buildServices,
  stopMcpTest,
  connectClient,
  testConfig,
  type TestServices,
} from './harness';

describe('MCP request streams', () => {
  const prefix = testPrefix('mcp-reqstreams');
  let redis: Redis;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    redis = connectRedis();
    services = buildServices(testConfig(prefix, { BRIDGE_RATE_LIMIT: '100000' }));
    // generous: under load a quick answer must still count as quick
    mcp = await startMcpHttp(services, { jsonAnswerWaitMs: 1000 });
  });

  afterAll(() => stopMcpTest({ mcp, services, redis, prefix }));

  it('stores nothing of request streams whose responses reached the client', async () => {
    const { client, transport } = await connectClient(mcp.url, READ_KEY);
    const sid = transport.sessionId!;
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    // past the hold, events not reported delivered would have been written (initialize's and tools/list's)
    await new Promise((r) => setTimeout(r, REQUEST_HOLD_MS + 300));
    expect(mcp.sessions.get(sid)).toBeDefined();
    expect(await redis.xlen(services.keys.mcpRequestEvents(sid))).toBe(0);
    await client.close();
  });

  it('answers a quick POST with one JSON body, and a long one as an SSE stream with a priming event', async () => {
    const headers = {
      authorization: `Bearer ${ADMIN_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(mcp.url, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.headers.get('content-type')).toBe('application/json');
    const sid = init.headers.get('mcp-session-id')!;
    expect(sid).toBeTruthy();
    expect(((await init.json()) as { id: number; result: { protocolVersion: string } }).result.protocolVersion).toBe(
      '2025-11-25',
    );
    const session = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);

    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, session);
    expect(list.headers.get('content-type')).toBe('application/json');
    const tools = (await list.json()) as { id: number; result: { tools: { name: string }[] } };
    expect(tools.id).toBe(2);
    expect(tools.result.tools.map((t) => t.name)).toContain('wait_for_events');

    const wait = await post(
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'wait_for_events', arguments: { timeout_ms: 2500 } },
      },
      session,
    );
    expect(wait.headers.get('content-type')).toBe('text/event-stream');
    const text = await wait.text();
    expect(text).toMatch(/^id: q\d+\.[0-9a-f]{12}\.[\w-]+\ndata: \n\n/); // the priming event comes first
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { id?: number; result?: { structuredContent?: { timed_out?: boolean } } });
    expect(data).toHaveLength(1);
    expect(data[0].id).toBe(3);
    expect(data[0].result?.structuredContent?.timed_out).toBe(true);
  });
});
