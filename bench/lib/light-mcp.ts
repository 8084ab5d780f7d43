/**
 * A minimal MCP client over Streamable HTTP for the fan-out and latency
 * scenarios: it speaks the protocol (initialize, notifications/initialized,
 * resources/subscribe, tools/call, the standalone GET stream, DELETE) with
 * node:http and a small SSE reader, and notes when each
 * notifications/resources/updated arrives. SDK clients in the bench process
 * measure the SDK's own parsing and validation (about 0.25 ms of CPU per
 * notification here, a third of a core for a wait_for_events loop at
 * 1,000 posts/s) more than the bridge, on the same two cores; each real agent
 * runs its SDK in its own process.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readSseEvents } from './sse-reader';

/** A tools/call result as the bridge sends it. */
export interface LightToolResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

// Requests reuse connections, as an SDK client's fetch does; the GET streams hold their own.
const keepAlive = new Agent({ keepAlive: true });
const isOk = (status: number) => status >= 200 && status < 300;

export class LightMcpSession {
  private sessionId = '';
  private nextId = 1;
  private readonly abort = new AbortController();
  /** nowMs() of each notifications/resources/updated, by URI. */
  readonly notes = new Map<string, number[]>();
  /** The SSE event id of each of those notifications, in arrival order. */
  readonly ids: string[] = [];
  /** Resolves once the GET stream answered 200. */
  streamOpen!: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      authorization: `Bearer ${this.key}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      ...(this.sessionId ? { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } : {}),
      ...extra,
    };
  }

  /**
   * One POST over node:http on a keep-alive agent: undici's fetch (its web streams and an abort
   * signal per request) cost this process more per call than the bridge spends answering a quick
   * one, and a long-poll loop makes hundreds of calls a second.
   */
  private post(body: string): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const headers = this.headers({ 'content-length': String(Buffer.byteLength(body)) });
      const req = httpRequest(this.url, { method: 'POST', headers, agent: keepAlive }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request; the answer may come as JSON or as an SSE stream carrying it. */
  private async request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const res = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    if (!isOk(res.status)) throw new Error(`${method}: HTTP ${res.status} ${res.text}`);
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string') this.sessionId = sid;
    const payloads = (res.headers['content-type'] ?? '').includes('text/event-stream')
      ? res.text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .filter(Boolean)
      : [res.text];
    for (const p of payloads) {
      const msg = JSON.parse(p) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== id) continue;
      if (msg.error) throw new Error(`${method}: ${msg.error.message}`);
      return msg.result ?? {};
    }
    throw new Error(`${method}: no answer in the response`);
  }

  private async notify(method: string): Promise<void> {
    const res = await this.post(JSON.stringify({ jsonrpc: '2.0', method }));
    if (!isOk(res.status)) throw new Error(`${method}: HTTP ${res.status}`);
  }

  /** An MCP ping (the protocol's round trip without work behind it). */
  async ping(): Promise<void> {
    await this.request('ping', {});
  }

  /** tools/call; throws on a protocol error, returns the result (isError included) as sent. */
  async callTool(name: string, args: Record<string, unknown>): Promise<LightToolResult> {
    const result = await this.request('tools/call', { name, arguments: args });
    if (!Array.isArray(result.content)) throw new Error(`tools/call ${name}: no content in ${JSON.stringify(result)}`);
    return result as unknown as LightToolResult;
  }

  async connect(name: string): Promise<void> {
    await this.request('initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name, version: '1.0.0' },
    });
    await this.notify('notifications/initialized');
    this.streamOpen = this.listen();
  }

  subscribe(uri: string): Promise<Record<string, unknown>> {
    return this.request('resources/subscribe', { uri });
  }

  /**
   * Opens the GET stream; resolves when it is open, then reads it in the background. node:http rather
   * than fetch: undici's web streams plus a TextDecoderStream cost this process about as much CPU per
   * notification as the bridge spends sending it, and the 1,000 clients share the machine with it.
   */
  private listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        this.url,
        { method: 'GET', headers: this.headers({ accept: 'text/event-stream' }), signal: this.abort.signal },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`GET stream: HTTP ${res.statusCode}`));
            return;
          }
          resolve();
          readSseEvents(res, (event, at) => this.onEvent(event, at));
          res.on('error', () => undefined); // aborted on close
        },
      );
      req.on('error', (err) => (this.abort.signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }

  private onEvent(event: string, at: number): void {
    const id = /^id: (.*)$/m.exec(event)?.[1];
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (!data) continue;
      const msg = JSON.parse(data) as { method?: string; params?: { uri?: string } };
      if (msg.method !== 'notifications/resources/updated' || !msg.params?.uri) continue;
      let list = this.notes.get(msg.params.uri);
      if (!list) this.notes.set(msg.params.uri, (list = []));
      list.push(at);
      if (id !== undefined) this.ids.push(id);
    }
  }

  /** DELETE the session, then stop reading. */
  async close(): Promise<void> {
    await fetch(this.url, { method: 'DELETE', headers: this.headers() })
      .then((r) => r.text())
      .catch(() => undefined);
    this.abort.abort();
  }
}
