/**
 * A minimal MCP client over Streamable HTTP for the fan-out scenario: it
 * speaks the protocol (initialize, notifications/initialized,
 * resources/subscribe, the standalone GET stream, DELETE) with plain fetch
 * and a small SSE reader, and notes when each notifications/resources/updated
 * arrives. A thousand SDK clients in one process measure the SDK's own
 * parsing and validation (about 0.25 ms of CPU per notification here) more
 * than the bridge; each real agent runs its SDK in its own process.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { request as httpRequest } from 'node:http';
import { nowMs } from './clock';

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

  /** A request; the answer may come as JSON or as an SSE stream carrying it. */
  private async request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
    if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
    const sid = res.headers.get('mcp-session-id');
    if (sid) this.sessionId = sid;
    const text = await res.text();
    const payloads = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .filter(Boolean)
      : [text];
    for (const p of payloads) {
      const msg = JSON.parse(p) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== id) continue;
      if (msg.error) throw new Error(`${method}: ${msg.error.message}`);
      return msg.result ?? {};
    }
    throw new Error(`${method}: no answer in the response`);
  }

  private async notify(method: string): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', method }),
    });
    await res.text();
    if (res.status !== 202 && !res.ok) throw new Error(`${method}: HTTP ${res.status}`);
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
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            const at = nowMs();
            buf += chunk;
            let end: number;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              this.onEvent(buf.slice(0, end), at);
              buf = buf.slice(end + 2);
            }
          });
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
