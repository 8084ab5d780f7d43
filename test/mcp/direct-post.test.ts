/**
 * DirectPost (src/mcp/http/direct-post.ts): single requests answered without
 * the SDK's web-standard transport, over real HTTP with the SDK's server,
 * client and the Redis event store. A quick answer is one JSON body; a
 * request that reports progress or takes longer is an SSE stream as the SDK
 * writes it, resumable with Last-Event-ID after the client left; whatever the
 * path does not take still gets the SDK's own answer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DirectPost } from '../../src/mcp/http/direct-post';
import { sendPostResponse, sendWebResponse, toWebRequest } from '../../src/mcp/http/node-adapter';
import { RedisEventStore } from '../../src/mcp/event-store';
import { redisKeys } from '../../src/redis/keys';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { eventually } from './harness';

const WAIT_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** One session's transport, McpServer and DirectPost behind a node HTTP server, as sessions.ts wires them. */
async function startServer(redis: Redis, prefix: string, waitMs = WAIT_MS) {
  const store = new RedisEventStore(redis, redisKeys(prefix), 'direct-post-session');
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => 'direct-post-session',
    eventStore: store,
  });
  const post = new DirectPost(transport, store, waitMs);
  const server = new McpServer({ name: 'direct-post-test', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('slow', { inputSchema: { ms: z.number(), steps: z.number() } }, async ({ ms, steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i },
        });
      }
      await sleep(ms / steps);
    }
    return { content: [{ type: 'text', text: `slept ${ms}` }] };
  });
  await server.connect(transport);
  const http: Server = createServer((req, res) => {
    void (async () => {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const authInfo = { token: '', clientId: 'test', scopes: [] };
      const direct = req.method === 'POST' ? post.serve(req, res, body, authInfo) : undefined;
      if (direct) return direct;
      const web = toWebRequest(req, new AbortController().signal);
      const response = await transport.handleRequest(web, { parsedBody: body, authInfo });
      if (req.method === 'POST') return sendPostResponse(res, response, WAIT_MS);
      return sendWebResponse(res, response);
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url,
    post,
    store,
    async stop() {
      post.close();
      await transport.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

describe('DirectPost', () => {
  const prefix = testPrefix('direct-post');
  let redis: Redis;
  let srv: Awaited<ReturnType<typeof startServer>>;
  let client: Client;
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': 'direct-post-session',
    'mcp-protocol-version': '2025-11-25',
  };
  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(srv.url, { method: 'POST', headers, body: JSON.stringify(body), signal });

  beforeAll(async () => {
    redis = connectRedis();
    srv = await startServer(redis, prefix);
    client = new Client({ name: 'direct-post-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(srv.url)));
  });

  afterAll(async () => {
    await client.close();
    await srv.stop();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('answers the SDK client: tools, results and errors, each request once', async () => {
    const before = srv.post.served;
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'slow']);
    const r = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(r.content).toEqual([{ type: 'text', text: 'hi' }]);
    const bad = await client.callTool({ name: 'echo', arguments: { text: 42 } });
    expect(bad.isError).toBe(true);
    await expect(client.readResource({ uri: 'nothing://here' })).rejects.toThrow(/not found|Resource/i);
    expect(srv.post.served - before).toBe(4);
  });

  it('sends a quick answer as one JSON body with the session id', async () => {
    const res = await post({
      jsonrpc: '2.0',
      id: 'q1',
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'a' } },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe('direct-post-session');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 'q1', result: { content: [{ type: 'text', text: 'a' }] } });
  });

  it('streams progress as SSE: priming event first, then the notifications and the answer, in order', async () => {
    const got: number[] = [];
    const r = await client.callTool({ name: 'slow', arguments: { ms: 60, steps: 3 } }, undefined, {
      onprogress: (p) => got.push(p.progress),
    });
    expect(r.content).toEqual([{ type: 'text', text: 'slept 60' }]);
    expect(got).toEqual([1, 2, 3]);

    const res = await post({
      jsonrpc: '2.0',
      id: 's1',
      method: 'tools/call',
      params: { name: 'slow', arguments: { ms: 30, steps: 2 }, _meta: { progressToken: 'p' } },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events[0]).toMatch(/^id: q\d+\.[0-9a-f]{12}\.[\w-]+\ndata: $/);
    const data = events.slice(1).map((e) => {
      expect(e).toMatch(/^event: message\nid: q\d+\./);
      return JSON.parse(e.split('\ndata: ')[1]) as { method?: string; params?: { progress: number }; id?: string };
    });
    expect(data.map((d) => d.method ?? `answer ${d.id}`)).toEqual([
      'notifications/progress',
      'notifications/progress',
      'answer s1',
    ]);
    expect(data.slice(0, 2).map((d) => d.params!.progress)).toEqual([1, 2]);
  });

  it('resumes a stream after the client left: a GET with the priming id gets the answer', async () => {
    const ac = new AbortController();
    const res = await post(
      { jsonrpc: '2.0', id: 'r1', method: 'tools/call', params: { name: 'slow', arguments: { ms: 600, steps: 1 } } },
      ac.signal,
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const primingId = /^id: (\S+)\n/.exec(text)![1];
    ac.abort();
    await eventually(() => srv.post.answering === 0, 5000, 'the server to see the client leave');
    const resumed = await fetch(srv.url, {
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': primingId },
    });
    expect(resumed.status).toBe(200);
    const replay = await resumed.text(); // the SDK ends the stream after the answer
    const answer = replay
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { id: string; result: { content: { text: string }[] } });
    expect(answer).toHaveLength(1);
    expect(answer[0].id).toBe('r1');
    expect(answer[0].result.content[0].text).toBe('slept 600');
  });

  it('sends the answer to a resumed stream even while the old connection still looks open', async () => {
    const ac = new AbortController();
    const res = await post(
      { jsonrpc: '2.0', id: 'r2', method: 'tools/call', params: { name: 'slow', arguments: { ms: 600, steps: 1 } } },
      ac.signal,
    );
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const primingId = /^id: (\S+)\n/.exec(text)![1];
    // the client resumes without the server having seen its POST go (a proxy may hold it open)
    const resumed = await fetch(srv.url, {
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': primingId },
      signal: AbortSignal.timeout(5000),
    });
    const replay = await resumed.text();
    ac.abort();
    const answer = replay.split('\n').filter((l) => l.startsWith('data: {'));
    expect(answer).toHaveLength(1);
    expect((JSON.parse(answer[0].slice(6)) as { id: string }).id).toBe('r2');
  });

  it('leaves what it does not take to the SDK, which answers as before', async () => {
    const before = srv.post.served;
    const batch = await post([
      { jsonrpc: '2.0', id: 'b1', method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
      { jsonrpc: '2.0', id: 'b2', method: 'tools/call', params: { name: 'echo', arguments: { text: 'y' } } },
    ]);
    expect(batch.status).toBe(200);
    const ids = (await batch.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { id: string }).id);
    expect(ids.sort()).toEqual(['b1', 'b2']);
    const badVersion = await fetch(srv.url, {
      method: 'POST',
      headers: { ...headers, 'mcp-protocol-version': '1999-01-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'v', method: 'tools/list' }),
    });
    expect(badVersion.status).toBe(400);
    const notAccepted = await fetch(srv.url, {
      method: 'POST',
      headers: { ...headers, accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'n', method: 'tools/list' }),
    });
    expect(notAccepted.status).toBe(406);
    const invalid = await post({ jsonrpc: '2.0', id: { no: 1 }, method: 'tools/list' });
    expect(invalid.status).toBe(400);
    expect(srv.post.served).toBe(before);
  });

  it('answers a call still open when the session closes with a JSON-RPC error', async () => {
    // a long JSON wait: on a loaded machine 100 ms could pass before the close, turning the call into an SSE stream
    const other = await startServer(redis, `${prefix}-2`, 5000);
    const init = await fetch(other.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    await init.text();
    const pending = fetch(other.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'c1',
        method: 'tools/call',
        params: { name: 'slow', arguments: { ms: 5000, steps: 1 } },
      }),
    });
    // close once the call is open here: a request that arrives after the close goes the SDK's way
    await eventually(() => other.post.served > 0, 5000, 'the call to be open on the server');
    other.post.close();
    const res = await pending;
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 'c1',
      error: { code: -32000, message: 'MCP session closed' },
    });
    await other.stop();
  });
});
