/**
 * Request (POST) streams over real HTTP: a response the client received whole
 * is never written to the event store (it will not be resumed), which keeps a
 * Redis write off every tool call (docs/benchmarks.md, tool overhead).
 * Replay of held events is covered in event-store.test.ts.
 */
import type { Redis } from 'ioredis';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { REQUEST_HOLD_MS } from '../../src/mcp/event-store';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { READ_KEY, buildServices, connectClient, testConfig, type TestServices } from './harness';

describe('MCP request streams', () => {
  const prefix = testPrefix('mcp-reqstreams');
  let redis: Redis;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    redis = connectRedis();
    services = buildServices(testConfig(prefix, { BRIDGE_RATE_LIMIT: '100000' }));
    mcp = await startMcpHttp(services, {});
  });

  afterAll(async () => {
    await mcp.stop();
    await services.eventLog.close();
    await cleanupPrefix(redis, prefix);
    services.redis.disconnect();
    redis.disconnect();
  });

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
});
