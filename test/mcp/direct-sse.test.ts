/**
 * DirectSse (src/mcp/http/direct-sse.ts): standalone-stream events written
 * straight to the socket while the pump is idle, through the SDK's stream
 * otherwise. On the wire the order must be the order of the writes, whichever
 * way each went: a property over real HTTP with random bursts and pauses.
 * Then the real thing: an MCP session's notifications over the GET stream.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { Server as McpLowLevelServer } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DirectSse } from '../../src/mcp/http/direct-sse';
import { resourceUpdatedJson } from '../../src/mcp/sessions';
import { sendWebResponse } from '../../src/mcp/http/node-adapter';
import { STANDALONE_STREAM_ID } from '../../src/mcp/event-store';
import { URIS } from '../../src/updates/uris';
import { LightMcpSession } from '../../bench/lib/light-mcp';
import { testPrefix } from '../helpers/redis';
import { READ_KEY, eventually, ingestPost, startMcpWithFake, type McpWithFake } from './harness';

type Write = (c: unknown, e: unknown, m: JSONRPCMessage, id?: string) => boolean;

/** The two SDK internals DirectSse uses, shaped as in the SDK: a stream per id and writeSSEEvent. */
function sdkLikeTransport() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const transport = {
    _streamMapping: new Map<string, { controller: unknown }>(),
    writeSSEEvent(c: ReadableStreamDefaultController<Uint8Array>, enc: TextEncoder, m: JSONRPCMessage, id?: string) {
      c.enqueue(enc.encode(`event: message\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(m)}\n\n`));
      return true;
    },
  };
  transport._streamMapping.set(STANDALONE_STREAM_ID, { controller });
  return { transport, body, controller };
}

async function listen(handler: (res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => handler(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('DirectSse ordering', () => {
  test('property: events arrive in the order written, whether written directly or through the stream, after what a replay queued', async () => {
    let direct = 0;
    let viaStream = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.record({ burst: fc.integer({ min: 1, max: 6 }), pause: fc.constantFrom('none', 'tick', 'io') }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (replayed, plan) => {
          const { transport, body, controller } = sdkLikeTransport();
          const d = new DirectSse(transport as unknown as WebStandardStreamableHTTPServerTransport);
          const write = (transport as unknown as { writeSSEEvent: Write }).writeSSEEvent;
          const encoder = new TextEncoder();
          let attached!: () => void;
          const ready = new Promise<void>((r) => (attached = r));
          let n = 0;
          const { server, url } = await listen((res) => {
            // a resume: the SDK replays into the new stream before the response is handed over
            for (let i = 0; i < replayed; i++) {
              controller.enqueue(encoder.encode(`event: message\nid: g${++n}\ndata: {}\n\n`));
            }
            d.attach(res);
            attached();
            void sendWebResponse(res, new Response(body, { headers: { 'content-type': 'text/event-stream' } }), {
              onIdle: (idle) => d.pumpIdle(res, idle),
            });
          });
          try {
            const response = fetch(url);
            await ready; // writing at once: the pump may still be sending the replay
            for (const step of plan) {
              for (let i = 0; i < step.burst; i++) {
                write(controller, encoder, { jsonrpc: '2.0', method: 'x', params: { n } }, `g${++n}`);
              }
              if (step.pause === 'tick') await Promise.resolve();
              if (step.pause === 'io') await new Promise((r) => setImmediate(r));
            }
            controller.close();
            const text = await (await response).text();
            const ids = [...text.matchAll(/^id: g(\d+)$/gm)].map((m) => Number(m[1]));
            expect(ids).toEqual(Array.from({ length: n }, (_, i) => i + 1));
            direct += d.written;
            viaStream += n - d.written;
          } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(() => r(undefined)));
          }
        },
      ),
      { numRuns: 60 },
    );
    // both ways were exercised
    expect(direct).toBeGreaterThan(0);
    expect(viaStream).toBeGreaterThan(0);
  });

  test('a transport without the expected internals keeps the SDK path untouched', () => {
    const transport = { writeSSEEvent: () => true };
    const before = transport.writeSSEEvent;
    new DirectSse(transport as unknown as WebStandardStreamableHTTPServerTransport);
    expect(transport.writeSSEEvent).toBe(before);
  });
});

describe('resourceUpdatedJson', () => {
  test('is byte for byte what the SDK sends for notifications/resources/updated', async () => {
    const sent: JSONRPCMessage[] = [];
    const transport: Transport = {
      start: async () => undefined,
      close: async () => undefined,
      send: async (m) => void sent.push(m),
    };
    const server = new McpLowLevelServer(
      { name: 't', version: '1' },
      { capabilities: { resources: { subscribe: true } } },
    );
    await server.connect(transport);
    await fc.assert(
      fc.asyncProperty(fc.string(), async (uri) => {
        sent.length = 0;
        await server.sendResourceUpdated({ uri });
        expect(resourceUpdatedJson(uri)).toBe(JSON.stringify(sent[0]));
      }),
      { numRuns: 100 },
    );
    await server.close();
  });
});

describe('DirectSse in an MCP session', () => {
  let w: McpWithFake;
  beforeAll(async () => {
    w = await startMcpWithFake(testPrefix('direct-sse'));
  });
  afterAll(() => w.stop());

  test('the SDK stream it relies on: an open, empty standalone stream has desired size 1', async () => {
    const c = new LightMcpSession(w.mcp.url, READ_KEY);
    await c.connect('direct-sse-probe');
    await c.streamOpen;
    const session = w.mcp.sessions.list().find((s) => s.standalone)!;
    const mapping = (session.transport as unknown as { _streamMapping: Map<string, { controller: unknown }> })
      ._streamMapping;
    const controller = mapping.get(STANDALONE_STREAM_ID)?.controller as ReadableStreamDefaultController;
    await eventually(() => controller.desiredSize === 1, 2000, 'an empty queue');
    await c.close();
  });

  test('notifications go out directly, in event-id order, each once', async () => {
    const c = new LightMcpSession(w.mcp.url, READ_KEY);
    await c.connect('direct-sse');
    await c.streamOpen;
    const town = w.fake.channel('town-square');
    const uris = [URIS.channelPosts(town.id), URIS.events];
    for (const uri of uris) await c.subscribe(uri);
    const session = w.mcp.sessions.list().find((s) => s.subscriptions.has(URIS.events))!;
    for (let i = 0; i < 20; i++) {
      await ingestPost(w.services, w.fake, w.fake.post({ user: 'alice', channel: 'town-square', message: `d${i}` }));
    }
    const count = () => uris.reduce((sum, u) => sum + (c.notes.get(u)?.length ?? 0), 0);
    await eventually(() => count() >= 2, 5000, 'notifications');
    await new Promise((r) => setTimeout(r, 300));
    expect(session.direct.written).toBeGreaterThan(0);
    expect(c.ids.length).toBe(count());
    const entry = (id: string) => id.slice(1).split('-').map(Number);
    for (let i = 1; i < c.ids.length; i++) {
      const [a, b] = [entry(c.ids[i - 1]), entry(c.ids[i])];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    await c.close();
  });
});
