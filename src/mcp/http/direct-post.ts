/**
 * Single JSON-RPC requests (tool calls, reads, lists) answered without the
 * SDK's web-standard transport in between.
 *
 * Through the SDK every POST built a web `Request` and `Headers`, ran the
 * message through the transport's zod union, opened a `ReadableStream`,
 * encoded the answer as an SSE event that `sendPostResponse` decoded and
 * parsed back to decide it could go out as JSON: about a millisecond of a
 * tool call's overhead (docs/benchmarks.md, tool overhead). Here the request
 * goes straight to the protocol layer (`transport.onmessage`, as the
 * transport itself would hand it over) and the messages the protocol sends
 * for it are taken from `transport.send` as objects:
 *
 * - the answer alone within `waitMs` → one `application/json` body;
 * - otherwise (a notification of the request first, or no answer yet) → an
 *   SSE stream, as the SDK writes it: a priming event for clients of protocol
 *   2025-11-25 and later, every event with an id from the session's event
 *   store (so held events are dropped once the response finished, and kept
 *   for a replay otherwise);
 * - the client gone before the answer, after a priming event → the request is
 *   handed to the SDK's bookkeeping (its stream id mapped as the SDK maps its
 *   own), so the rest is stored and a GET with `Last-Event-ID` resumes it.
 *
 * Anything else — a batch, a notification, `initialize`, a header the SDK
 * would refuse, an id already pending — goes the SDK's way unchanged, which
 * also keeps the SDK's own error answers. When the SDK's internals are not
 * what this expects, every request goes the SDK's way.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { sseEvent } from './node-adapter';

type RequestId = string | number;
type Send = (message: JSONRPCMessage, options?: TransportSendOptions) => Promise<void>;
type Internals = {
  send: Send;
  onmessage?: (message: JSONRPCMessage, extra: Record<string, unknown>) => void;
  sessionId?: string;
  _closed?: boolean;
  _requestToStreamMapping?: Map<RequestId, string>;
  _resumableStreams?: Set<string>;
  _streamMapping?: Map<string, unknown>;
};

type Call = {
  id: RequestId;
  res: ServerResponse;
  streamId: string;
  /** Whether the client gets a priming event (protocol 2025-11-25 and later). */
  primes: boolean;
  /** waiting: nothing sent yet; sse: streaming; gone: the client left (nothing resumable); sdk: handed over. */
  mode: 'waiting' | 'sse' | 'gone' | 'sdk';
  primed: boolean;
  timer?: NodeJS.Timeout;
  /** SSE writes in order (each waits for its event id). */
  chain: Promise<void>;
  done: () => void;
};

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && ('result' in message || 'error' in message);
}

export class DirectPost {
  private readonly calls = new Map<RequestId, Call>();
  private readonly t?: Internals;
  /** Requests answered this way (for tests and stats). */
  served = 0;

  constructor(
    transport: WebStandardStreamableHTTPServerTransport,
    private readonly store: EventStore,
    readonly waitMs: number,
  ) {
    const t = transport as unknown as Internals;
    if (
      typeof t.send !== 'function' ||
      !(t._requestToStreamMapping instanceof Map) ||
      !(t._resumableStreams instanceof Set) ||
      !(t._streamMapping instanceof Map) ||
      typeof t._closed !== 'boolean'
    ) {
      return;
    }
    this.t = t;
    const sdkSend = t.send.bind(transport);
    t.send = (message, options) => {
      const id = isResponse(message) ? message.id : options?.relatedRequestId;
      const call = id === undefined ? undefined : this.calls.get(id);
      // the client resumed this stream (GET with Last-Event-ID) before its POST's close reached us
      if (call?.mode === 'sse' && call.primed && t._streamMapping!.has(call.streamId)) {
        this.handOver(call);
        call.res.end(); // the client reads the resumed stream now
        call.done();
      }
      if (!call || call.mode === 'sdk') {
        // handed over: the SDK stores it (and writes it to a resumed stream) and drops its own mapping
        if (call && isResponse(message)) this.calls.delete(call.id);
        return sdkSend(message, options);
      }
      return this.deliver(call, message);
    };
  }

  /**
   * Serves `body` if it is a request this path takes; resolves when its HTTP
   * response is over. Undefined: the caller hands the request to the SDK.
   */
  serve(req: IncomingMessage, res: ServerResponse, body: unknown, authInfo: AuthInfo): Promise<void> | undefined {
    const t = this.t;
    if (!t?.onmessage || t._closed || !t.sessionId || req.headers['mcp-session-id'] !== t.sessionId) return undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { id, method } = body as { id?: unknown; method?: unknown };
    if (typeof method !== 'string' || method === 'initialize') return undefined;
    if ((typeof id !== 'string' && typeof id !== 'number') || this.calls.has(id)) return undefined;
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
    if (!isJsonContentType(req.headers['content-type'])) return undefined;
    const version = req.headers['mcp-protocol-version'];
    if (Array.isArray(version) || (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) {
      return undefined;
    }
    if (!isJSONRPCRequest(body)) return undefined;

    return new Promise<void>((resolve) => {
      const call: Call = {
        id,
        res,
        streamId: randomUUID(),
        primes: (version ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION) >= '2025-11-25',
        mode: 'waiting',
        primed: false,
        chain: Promise.resolve(),
        done: resolve,
      };
      this.calls.set(id, call);
      this.served++;
      res.once('close', () => this.onClose(call));
      call.timer = setTimeout(() => this.startSse(call), this.waitMs);
      try {
        const requestInfo = { headers: req.headers, url: new URL(req.url ?? '/', `http://${req.headers.host}`) };
        t.onmessage!(body, { authInfo, requestInfo });
      } catch (err) {
        this.calls.delete(id);
        clearTimeout(call.timer);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: String(err) } }));
        }
        resolve();
      }
    });
  }

  /** Ends every call still open (the session is closing). */
  close(): void {
    for (const call of this.calls.values()) {
      clearTimeout(call.timer);
      this.calls.delete(call.id);
      if (call.mode === 'waiting' && !call.res.headersSent) {
        this.writeJson(call, { jsonrpc: '2.0', id: call.id, error: { code: -32000, message: 'MCP session closed' } });
      } else if (!call.res.writableEnded) {
        call.res.end();
      }
      call.done();
    }
  }

  private deliver(call: Call, message: JSONRPCMessage): Promise<void> {
    if (call.mode === 'gone') {
      if (isResponse(message)) this.finish(call);
      return Promise.resolve();
    }
    if (call.mode === 'waiting' && isResponse(message)) {
      this.finish(call);
      this.writeJson(call, message);
      return Promise.resolve();
    }
    if (call.mode === 'waiting') this.startSse(call);
    const write = async () => {
      const eventId = await this.store.storeEvent(call.streamId, message);
      if (call.mode !== 'sse') return; // handed over meanwhile: the store has it for the replay
      if (!call.res.writableEnded && !call.res.destroyed) call.res.write(sseEvent(message, eventId));
      if (isResponse(message)) {
        this.finish(call);
        call.res.end();
      }
    };
    return (call.chain = call.chain.then(write, write));
  }

  private startSse(call: Call): void {
    if (call.mode !== 'waiting') return;
    clearTimeout(call.timer);
    call.mode = 'sse';
    const { res } = call;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'mcp-session-id': this.t!.sessionId!,
    });
    res.flushHeaders();
    if (!call.primes) return;
    const prime = async () => {
      const eventId = await this.store.storeEvent(call.streamId, {} as JSONRPCMessage);
      call.primed = true;
      if (call.mode === 'sse' && !res.writableEnded && !res.destroyed) res.write(sseEvent(undefined, eventId));
    };
    call.chain = call.chain.then(prime, prime);
  }

  private writeJson(call: Call, message: JSONRPCMessage): void {
    const { res } = call;
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(message);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'mcp-session-id': this.t!.sessionId!,
    });
    res.end(text);
  }

  /** The answer went out (or will be replayed): the call is over. */
  private finish(call: Call): void {
    clearTimeout(call.timer);
    if (this.calls.get(call.id) === call) this.calls.delete(call.id);
    call.done();
  }

  /** The HTTP response closed: finished, or the client left before the answer. */
  private onClose(call: Call): void {
    if (this.calls.get(call.id) !== call) return;
    clearTimeout(call.timer);
    if (call.mode === 'sse' && call.primed && !this.t!._closed) this.handOver(call);
    else if (call.mode !== 'sdk') call.mode = 'gone';
    call.done();
  }

  /** As the SDK does when a primed stream drops: it stores the rest, a GET with Last-Event-ID resumes it. */
  private handOver(call: Call): void {
    call.mode = 'sdk';
    this.t!._requestToStreamMapping!.set(call.id, call.streamId);
    this.t!._resumableStreams!.add(call.streamId);
  }

  /** Calls this path still answers itself (not handed to the SDK). */
  get answering(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.mode !== 'sdk') n++;
    return n;
  }
}
