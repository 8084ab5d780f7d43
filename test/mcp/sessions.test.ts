/**
 * Session lifetime over real HTTP: the idle timeout ends a session and
 * releases everything it held, and a client that stops reading its GET
 * stream gets its session closed with a log line instead of growing memory.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { connectRedis, testPrefix } from '../helpers/redis';
import {
  READ_KEY,
  buildServices,
  stopMcpTest,
  connectClient,
  eventually,
  testConfig,
  type TestServices,
} from './harness';

describe('MCP session lifetime', () => {
  const prefix = testPrefix('mcp-sessions');
  const lines: string[] = [];
  let redis: Redis;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    redis = connectRedis();
    const config = testConfig(prefix, { BRIDGE_RATE_LIMIT: '100000' });
    // below the schema's minimum on purpose: the test cannot wait 10 s
    config.BRIDGE_SESSION_IDLE_TIMEOUT = 600;
    services = buildServices(config);
    services.log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    mcp = await startMcpHttp(services, { sweepIntervalMs: 100, maxBlockedMs: 500 });
  });

  afterAll(() => stopMcpTest({ mcp, services, redis, prefix }));

  it('sessions share one JSON Schema validator (an Ajv instance each cost ~19 KB and 0.5 ms)', async () => {
    const a = await connectClient(mcp.url, READ_KEY);
    const b = await connectClient(mcp.url, READ_KEY);
    const validatorOf = (sid: string) =>
      (mcp.sessions.get(sid)!.server.server as unknown as { _jsonSchemaValidator: unknown })._jsonSchemaValidator;
    const va = validatorOf(a.transport.sessionId!);
    expect(va).toBeDefined();
    expect(validatorOf(b.transport.sessionId!)).toBe(va);
    await a.client.close();
    await b.client.close();
  });

  it('ends an idle session and releases its subscriptions and Redis state', async () => {
    const { client, transport } = await connectClient(mcp.url, READ_KEY);
    await client.subscribeResource({ uri: 'mattermost://events' });
    const sid = transport.sessionId!;
    expect(mcp.fanout.subscriptionCount).toBe(1);
    // the SDK client keeps a GET stream open (which counts as activity): close the client, keep the session
    await client.close();
    await eventually(() => mcp.sessions.get(sid) === undefined, 5000, 'the idle session to end');
    expect(mcp.fanout.subscriptionCount).toBe(0);
    await eventually(
      async () => (await redis.exists(services.keys.mcpSession(sid), services.keys.mcpSubscriptions(sid))) === 0,
      5000,
      'the session record to go',
    );
    expect(await redis.zscore(services.keys.mcpSessions, sid)).toBeNull();
    expect(lines.some((l) => l.includes('closing idle MCP session'))).toBe(true);
  });

  it('closes a session whose GET stream stays blocked, with a log line', async () => {
    const { client, transport } = await connectClient(mcp.url, READ_KEY);
    const sid = transport.sessionId!;
    const uris = Array.from({ length: 50 }, (_, i) => `test://blocked/${i}/${'x'.repeat(900)}`);
    for (const uri of uris) await client.subscribeResource({ uri });
    await client.close();

    // a raw GET stream that is never read
    let req: ClientRequest | undefined;
    await new Promise<void>((resolve, reject) => {
      const u = new URL(mcp.url);
      req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'GET',
          headers: {
            accept: 'text/event-stream',
            authorization: `Bearer ${READ_KEY}`,
            'mcp-session-id': sid,
            'mcp-protocol-version': '2025-11-25',
          },
        },
        (res) => {
          res.pause(); // stop reading: the socket buffers fill up
          resolve();
        },
      );
      req.on('error', reject);
      req.end();
    });
    const session = mcp.sessions.get(sid)!;
    await eventually(() => session.standalone !== undefined, 5000, 'the GET stream');
    // notifications of ~1 KB each, far more than the socket buffers hold
    const flood = setInterval(() => {
      for (const uri of uris) session.notify(uri);
    }, 1);
    try {
      await eventually(() => mcp.sessions.get(sid) === undefined, 25_000, 'the blocked session to be closed');
    } finally {
      clearInterval(flood);
      req?.destroy();
    }
    expect(session.outbox.size).toBe(0);
    expect(lines.some((l) => l.includes('its stream stayed blocked'))).toBe(true);
    await eventually(
      async () => (await redis.exists(services.keys.mcpEvents(sid))) === 0,
      5000,
      'the event store to go',
    );
  }, 40_000);
});
