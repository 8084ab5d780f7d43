/**
 * Resumability of the standalone GET stream: cut it, make posts, and the
 * client's reconnect with Last-Event-ID receives every missed notification
 * exactly once — from the same instance, and through a second bridge
 * instance behind a switch (the load balancer of a real deployment).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { URIS } from '../../src/updates/uris';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import {
  READ_KEY,
  buildServices,
  connectClient,
  eventually,
  ingestPost,
  mattermostParts,
  testConfig,
  type TestServices,
} from './harness';

/** A forwarding HTTP proxy whose target can be switched (streams pass through unbuffered). */
async function startSwitch(target: string): Promise<{ url: string; target: string; server: Server }> {
  const sw = { url: '', target, server: undefined as unknown as Server };
  sw.server = createServer((req, res) => {
    const t = new URL(sw.target);
    const up = httpRequest(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        // a cut upstream is a cut downstream (pipe alone would leave the client waiting)
        upRes.on('close', () => {
          if (!upRes.complete) res.destroy();
        });
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => sw.server.listen(0, '127.0.0.1', () => r()));
  sw.url = `http://127.0.0.1:${(sw.server.address() as AddressInfo).port}/mcp`;
  return sw;
}

describe('resuming the GET stream with Last-Event-ID', () => {
  const prefix = testPrefix('mcp-resume');
  let redis: Redis;
  let fake: FakeMattermost;
  let a: TestServices;
  let b: TestServices;
  let mcpA: McpHttpHandle;
  let mcpB: McpHttpHandle;
  let town: string;

  beforeAll(async () => {
    redis = connectRedis();
    fake = await startFakeMattermost();
    town = fake.channel('town-square').id;
    const config = testConfig(prefix, { MATTERMOST_URL: fake.url, MATTERMOST_TOKEN: fake.token('bridge-bot') });
    const ra = connectRedis();
    const rb = connectRedis();
    a = buildServices(config, mattermostParts(config, ra), ra);
    b = buildServices(config, mattermostParts(config, rb), rb);
    mcpA = await startMcpHttp(a, { handoffWaitMs: 2000 });
    mcpB = await startMcpHttp(b, { handoffWaitMs: 2000 });
  });

  afterAll(async () => {
    await mcpA.stop();
    await mcpB.stop();
    await a.eventLog.close();
    await b.eventLog.close();
    await fake.stop();
    await cleanupPrefix(redis, prefix);
    a.redis.disconnect();
    b.redis.disconnect();
    redis.disconnect();
  });

  async function post(message: string, via: McpHttpHandle) {
    const seen = new Promise<void>((resolve) => {
      const off = via.fanout.onUpdate((u) => {
        if ((u.data as { post?: { message?: string } }).post?.message === message) {
          off();
          resolve();
        }
      });
    });
    await ingestPost(a, fake, fake.post({ user: 'alice', channel: 'town-square', message }));
    await seen;
  }

  /** Cuts the session's GET stream from the server side, as a network failure would. */
  function cutStream(mcp: McpHttpHandle, sessionId: string) {
    const session = mcp.sessions.get(sessionId)!;
    expect(session.standalone).toBeDefined();
    session.standalone!.destroy();
  }

  it('replays what was missed on the same instance, once', async () => {
    const { client, transport } = await connectClient(mcpA.url, READ_KEY, { reconnect: true, reconnectDelayMs: 800 });
    let count = 0;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void count++);
    const uri = URIS.channelPosts(town);
    await client.subscribeResource({ uri });
    const sid = transport.sessionId!;
    await eventually(() => mcpA.sessions.get(sid)?.standalone !== undefined, 5000, 'the GET stream');

    await post('before the cut', mcpA);
    await eventually(() => count === 1, 5000, 'the first notification');

    cutStream(mcpA, sid);
    for (const m of ['missed 1', 'missed 2', 'missed 3']) await post(m, mcpA);
    // made while the client was away: nothing arrived live
    expect(mcpA.sessions.get(sid)?.standalone).toBeUndefined();
    expect(count).toBe(1);
    await eventually(() => count === 4, 5000, 'the three missed notifications after reconnecting');
    await post('live again', mcpA);
    await eventually(() => count === 5, 5000, 'a live notification');
    await new Promise((r) => setTimeout(r, 300));
    expect(count).toBe(5);
    await client.close();
  });

  it('replays through a second instance that adopts the session, once', async () => {
    const sw = await startSwitch(mcpA.url);
    try {
      const { client, transport } = await connectClient(sw.url, READ_KEY, { reconnect: true, reconnectDelayMs: 800 });
      const got: string[] = [];
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void got.push(n.params.uri));
      const uri = URIS.channelPosts(town);
      await client.subscribeResource({ uri });
      const sid = transport.sessionId!;
      await eventually(() => mcpA.sessions.get(sid)?.standalone !== undefined, 5000, 'the GET stream on A');

      await post('on A', mcpA);
      await eventually(() => got.length === 1, 5000, 'a notification from A');

      sw.target = mcpB.url; // the balancer now sends this client to B
      cutStream(mcpA, sid);
      // A still holds the session, so it records what the client misses meanwhile
      for (const m of ['missed via A 1', 'missed via A 2']) await post(m, mcpA);
      expect(got.length).toBe(1);
      expect(mcpB.sessions.get(sid)).toBeUndefined();
      await eventually(() => mcpB.sessions.get(sid) !== undefined, 5000, 'B to adopt the session');
      await eventually(() => got.length === 3, 5000, 'the missed notifications, replayed by B');
      expect(mcpA.sessions.get(sid)).toBeUndefined(); // A let go

      await post('live on B', mcpB);
      await eventually(() => got.length === 4, 5000, 'a live notification from B');
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toEqual([uri, uri, uri, uri]);

      // the adopted session is fully usable: tools and reads go to B
      const r = await client.callTool({ name: 'get_events', arguments: { limit: 1 } });
      expect(r.isError).toBeFalsy();
      await client.close();
    } finally {
      sw.server.closeAllConnections();
      await new Promise((r) => sw.server.close(() => r(undefined)));
    }
  });
});
