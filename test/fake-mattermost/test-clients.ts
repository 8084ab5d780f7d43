/**
 * Test helpers for talking to the fake: the official Client4 and
 * WebSocketClient set up as the bridge sets them up (auth on the upgrade, a
 * missed-message listener always registered), and a raw `ws` socket that
 * records every frame for frame-level checks.
 */
import { Client4, WebSocketClient } from '@mattermost/client';
import WebSocket from 'ws';
import { installWebSocketGlobals } from '../../src/mattermost/node-globals';

export function client4(url: string, token: string): Client4 {
  const c = new Client4();
  c.setUrl(url);
  c.setToken(token);
  return c;
}

export interface Frame {
  event?: string;
  data?: Record<string, unknown>;
  broadcast?: Record<string, unknown>;
  seq?: number;
  status?: string;
  seq_reply?: number;
  error?: Record<string, unknown>;
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const start = Date.now();
  while (true) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface OfficialSocket {
  client: WebSocketClient;
  events: Frame[];
  missed: number;
  firstConnects: number;
  reconnects: number;
  /** WebSocket URLs the client opened (with connection_id and sequence_number). */
  urls: string[];
  close(): void;
}

/** WebSocketClient with `Authorization: Bearer` on the upgrade (so resume works) and a missed-message listener. */
export function officialSocket(
  url: string,
  token: string,
  opts: { challenge?: boolean; pingMs?: number } = {},
): OfficialSocket {
  installWebSocketGlobals();
  const urls: string[] = [];
  const client = new WebSocketClient({
    minWebSocketRetryTime: 30,
    reconnectJitterRange: 5,
    maxWebSocketFails: 100,
    clientPingInterval: opts.pingMs ?? 60_000,
    newWebSocketFn: (u: string) => {
      urls.push(u);
      const headers: Record<string, string> = opts.challenge ? {} : { Authorization: `Bearer ${token}` };
      return new WebSocket(u, { headers }) as unknown as globalThis.WebSocket;
    },
  });
  const out: OfficialSocket = {
    client,
    events: [],
    missed: 0,
    firstConnects: 0,
    reconnects: 0,
    urls,
    close: () => client.close(),
  };
  client.addMessageListener((msg) => out.events.push(msg as unknown as Frame));
  client.addMissedMessageListener(() => {
    out.missed += 1;
  });
  client.addFirstConnectListener(() => {
    out.firstConnects += 1;
  });
  client.addReconnectListener(() => {
    out.reconnects += 1;
  });
  client.initialize(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, opts.challenge ? token : undefined);
  return out;
}

export interface RawSocket {
  ws: WebSocket;
  /** Every text frame, raw. */
  raw: string[];
  frames: Frame[];
  closed: boolean;
  opened: Promise<void>;
  send(obj: unknown): void;
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

export function rawSocket(
  url: string,
  opts: { token?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
): RawSocket {
  const q = new URLSearchParams(opts.query ?? {}).toString();
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v4/websocket${q ? `?${q}` : ''}`, { headers });
  const s: RawSocket = {
    ws,
    raw: [],
    frames: [],
    closed: false,
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    send: (obj) => ws.send(JSON.stringify(obj)),
    next: (pred, timeoutMs = 5000) => waitFor(() => s.frames.find(pred), timeoutMs, 'frame'),
    close: () =>
      new Promise<void>((resolve) => {
        if (s.closed) return resolve();
        ws.once('close', () => resolve());
        ws.terminate();
      }),
  };
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    const text = data.toString();
    s.raw.push(text);
    s.frames.push(JSON.parse(text));
  });
  ws.on('close', () => {
    s.closed = true;
  });
  return s;
}

/** The post object inside a `posted`/`post_edited`/`post_deleted` frame (string-encoded on the wire). */
export function postOf(frame: Frame): Record<string, unknown> {
  return JSON.parse(String(frame.data?.post));
}
