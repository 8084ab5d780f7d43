/**
 * The ingest's WebSocket: `@mattermost/client`'s WebSocketClient made to work
 * on Node 20 (protocol doc §2):
 *  - browser globals from `ws` plus a CloseEvent polyfill (installWebSocketGlobals);
 *  - auth on the upgrade (`Authorization: Bearer`), without which the server
 *    never resumes a connection;
 *  - a missed-message listener always registered (without one the client never
 *    records its connection_id and reconnects forever); it triggers catch-up;
 *  - a frame the client cannot parse would throw inside ws's event handler and
 *    crash the process: each socket's onmessage is guarded, the frame counted;
 *  - stopping terminates sockets still connecting, which `close()` ignores;
 *  - the client's console.log chatter goes to the logger at debug level.
 */
import WebSocket from 'ws';
import { WebSocketClient } from '@mattermost/client';
import type { Logger } from '../../logging/logger';
import { installWebSocketGlobals } from '../../mattermost/node-globals';
import { eventsSkipped } from '../metrics';

export interface ReconnectOptions {
  /** First retry delay (default 1000 ms); the client adds up to `jitterMs`. */
  minMs?: number;
  jitterMs?: number;
  /** Cap of the backoff once `maxFails` consecutive attempts failed (default 30 s). */
  maxMs?: number;
  maxFails?: number;
  /** Application ping period; a ping unanswered by the next one reconnects (default 30 s). */
  pingIntervalMs?: number;
}

export interface IngestSocketHandlers {
  /** Every server event, in order. Must return at once (push into a buffer). */
  onEvent(msg: Record<string, unknown>, connectionId: string | undefined): void;
  /** The server could not replay what was missed (new connection_id): catch up over REST. */
  onMissed(): void;
  onOpen(reconnect: boolean): void;
  onClose(failCount: number): void;
}

export interface IngestSocketOptions extends IngestSocketHandlers {
  /** `client4.getWebSocketUrl()`: http(s) URLs are fine for `ws`. */
  url: string;
  token: string;
  log: Logger;
  reconnect?: ReconnectOptions;
}

/** Event listeners ws defines as `on<name>` accessors on its prototype. */
type Attr = 'onopen' | 'onclose' | 'onerror' | 'onmessage';
const ATTRS: Attr[] = ['onopen', 'onclose', 'onerror', 'onmessage'];

export class IngestSocket {
  private readonly client: WebSocketClient;
  private readonly sockets = new Set<WebSocket>();
  private stopped = false;
  private connectionId: string | undefined;

  constructor(private readonly options: IngestSocketOptions) {
    installWebSocketGlobals();
    routeClientConsole(options.log);
    const r = options.reconnect ?? {};
    this.client = new WebSocketClient({
      minWebSocketRetryTime: r.minMs ?? 1000,
      reconnectJitterRange: r.jitterMs ?? 1000,
      maxWebSocketRetryTime: r.maxMs ?? 30_000,
      maxWebSocketFails: r.maxFails ?? 7,
      clientPingInterval: r.pingIntervalMs ?? 30_000,
      newWebSocketFn: (url: string) => this.newSocket(url) as unknown as globalThis.WebSocket,
    });
    this.client.addMessageListener((msg) => {
      const m = msg as unknown as Record<string, unknown>;
      if (m.event === 'hello') {
        const data = m.data as Record<string, unknown> | undefined;
        if (typeof data?.connection_id === 'string') this.connectionId = data.connection_id;
      }
      options.onEvent(m, this.connectionId);
    });
    this.client.addMissedMessageListener(() => options.onMissed());
    this.client.addFirstConnectListener(() => options.onOpen(false));
    this.client.addReconnectListener(() => options.onOpen(true));
    this.client.addCloseListener((fails) => options.onClose(fails));
    this.client.addErrorListener((evt) => {
      const message = (evt as unknown as { message?: string }).message;
      options.log.debug({ err: message ?? 'websocket error' }, 'websocket error');
    });
  }

  get currentConnectionId(): string | undefined {
    return this.connectionId;
  }

  connect(): void {
    this.stopped = false;
    this.client.initialize(this.options.url, this.options.token);
  }

  /** Closes the connection for good: no reconnect, no more callbacks. */
  close(): void {
    this.stopped = true;
    this.client.close();
    for (const s of this.sockets) {
      detach(s);
      s.terminate();
    }
    this.sockets.clear();
  }

  private newSocket(url: string): WebSocket {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${this.options.token}` } });
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    guard(socket, this.options.log, () => this.stopped);
    if (this.stopped) {
      detach(socket);
      socket.terminate();
    }
    return socket;
  }
}

const detached = new WeakSet<WebSocket>();

function detach(socket: WebSocket): void {
  detached.add(socket);
}

/**
 * Wraps the handlers the client assigns to `socket.on*`: nothing runs after
 * the socket was detached, and a frame that throws (invalid JSON) is counted
 * and logged instead of escaping into ws's event emitter.
 */
function guard(socket: WebSocket, log: Logger, stopped: () => boolean): void {
  for (const attr of ATTRS) {
    const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, attr);
    if (!desc?.set || !desc.get) continue;
    Object.defineProperty(socket, attr, {
      configurable: true,
      enumerable: true,
      get: () => desc.get!.call(socket),
      set: (handler: ((evt: unknown) => void) | null) => {
        if (typeof handler !== 'function') return desc.set!.call(socket, handler);
        desc.set!.call(socket, (evt: unknown) => {
          if (detached.has(socket) || (stopped() && attr !== 'onclose')) return;
          try {
            handler.call(socket, evt);
          } catch (err) {
            if (attr === 'onmessage') {
              eventsSkipped.inc({ reason: 'malformed' });
              const data = (evt as { data?: unknown }).data;
              log.warn(
                { err: (err as Error).message, bytes: typeof data === 'string' ? data.length : undefined },
                'websocket frame skipped: it is not valid JSON',
              );
            } else {
              log.error({ err: (err as Error).message, handler: attr }, 'websocket handler failed');
            }
          }
        });
      },
    });
  }
}

// ------------------------------------------------------------ console routing

const CLIENT_FRAME = /[\\/]@mattermost[\\/]client[\\/]/;
let consoleTarget: Logger | undefined;
const ROUTED = Symbol('routed to the logger');

/** Text of a console call, without dumping objects (an error event holds the socket and its headers). */
function describe(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === 'string') return a;
      if (a instanceof Error) return a.message;
      if (a && typeof a === 'object') {
        const o = a as { type?: unknown; message?: unknown };
        return `[${typeof o.type === 'string' ? o.type : 'object'}${typeof o.message === 'string' ? `: ${o.message}` : ''}]`;
      }
      return String(a);
    })
    .join(' ')
    .slice(0, 500);
}

/**
 * `@mattermost/client` logs with console.log/warn (connection chatter, and
 * whole error events). Calls whose stack comes from that package go to the
 * logger at debug level; every other console call is left alone. Idempotent;
 * patches again if something replaced the console methods since.
 */
export function routeClientConsole(log: Logger): void {
  consoleTarget = log;
  for (const level of ['log', 'warn', 'info'] as const) {
    const current = console[level] as ((...args: unknown[]) => void) & { [ROUTED]?: true };
    if (current[ROUTED]) continue;
    const routed = function (this: Console, ...args: unknown[]) {
      if (consoleTarget && CLIENT_FRAME.test(new Error().stack ?? '')) {
        consoleTarget.debug({ source: '@mattermost/client' }, describe(args));
        return;
      }
      return current.apply(this, args);
    };
    console[level] = Object.assign(routed, { [ROUTED]: true as const });
  }
}
