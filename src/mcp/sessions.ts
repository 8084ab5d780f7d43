/**
 * MCP sessions over Streamable HTTP: one McpServer + transport per session,
 * created on `initialize`, ended by DELETE, by the idle timeout or when the
 * client's stream stays blocked.
 *
 * Sessions survive the instance that created them: the record (key name,
 * client info, subscriptions) lives in Redis, and an instance that receives a
 * request for a session it does not hold adopts it — it claims ownership on a
 * pub/sub channel (the previous owner lets go), rebuilds the server with a
 * synthetic `initialize`, restores the subscriptions, and the client's GET
 * with `Last-Event-ID` replays from the shared Redis event store.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { BridgeServices } from '../app/services';
import type { Logger } from '../logging/logger';
import { registry } from '../metrics/registry';
import type { SessionInfo } from '../tools/context';
import { parseUri } from '../updates/uris';
import type { Identity } from './auth';
import { DirectPost } from './http/direct-post';
import { DirectSse } from './http/direct-sse';
import { RedisEventStore, STANDALONE_STREAM_ID } from './event-store';
import type { FanOut, Subscriber } from './fanout';
import { JSON_ANSWER_WAIT_MS, sendPostResponse, sendWebResponse, sseEvent, toWebRequest } from './http/node-adapter';
import { Outbox } from './outbox';
import { resourceAllowed } from './resources';
import { buildMcpServer, subscriptionError } from './server';
import type { AnyTool } from './tools';

const sessionsGauge = new Gauge({
  name: 'mmb_mcp_sessions',
  help: 'MCP sessions held by this process',
  registers: [registry],
});

type SessionRecord = {
  keyName: string;
  protocolVersion: string;
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
  owner: string;
  createdAt: string;
};

type ControlMessage = { type: 'claim' | 'released'; sessionId: string; instance: string };

export type SessionManagerOptions = {
  services: BridgeServices;
  fanout: FanOut;
  log: Logger;
  /** Tools a given identity may use (inventory filtered by toolsets, read-only and scopes). */
  toolsFor: (identity: Identity) => AnyTool[];
  /** A client stream blocked this long gets its session closed. */
  maxBlockedMs?: number;
  /** How often idle sessions are looked for. */
  sweepIntervalMs?: number;
  /** A POST answered within this time gets a JSON body instead of SSE (default JSON_ANSWER_WAIT_MS). */
  jsonAnswerWaitMs?: number;
  /** How long an adopting instance waits for the previous owner to let go. */
  handoffWaitMs?: number;
};

export class McpSession implements Subscriber {
  readonly subscriptions = new Set<string>();
  lastActivity = Date.now();
  activeRequests = 0;
  /** The response carrying the standalone GET stream, while one is open. */
  standalone?: ServerResponse;
  /** Writes the standalone stream's events straight to `standalone` when nothing is queued (direct-sse.ts). */
  readonly direct: DirectSse;
  /** Answers single requests without the SDK's web-standard transport (direct-post.ts). */
  readonly post: DirectPost;
  server!: McpServer;
  outbox!: Outbox;
  /** When its Redis state was last refreshed, and the trailing refresh pending (see `refresh`). */
  refreshedAt = 0;
  refreshTimer?: NodeJS.Timeout;
  /** Set when the session is closed here; `forget` also removes it from Redis. */
  ending?: { reason: string; forget: boolean };

  constructor(
    readonly id: string,
    readonly identity: Identity,
    readonly info: SessionInfo,
    readonly transport: WebStandardStreamableHTTPServerTransport,
    readonly store: RedisEventStore,
    jsonAnswerWaitMs: number,
  ) {
    this.direct = new DirectSse(transport);
    this.post = new DirectPost(transport, store, jsonAnswerWaitMs);
  }

  get policy() {
    return this.identity.policy;
  }

  notify(uri: string): void {
    this.outbox.notify(uri);
  }

  /** `notifications/resources/updated` of `uri`: straight to the GET stream when DirectSse can, else the SDK's way. */
  sendUpdated(uri: string): Promise<void> | undefined {
    if (this.direct.sendStandalone(resourceUpdatedJson(uri), this.store)) return undefined;
    return this.server.server.sendResourceUpdated({ uri });
  }

  touch(): void {
    this.lastActivity = Date.now();
  }
}

/**
 * The JSON text of `notifications/resources/updated` for a URI, byte for byte as the SDK's
 * `Protocol.notification` makes it (`{...notification, jsonrpc}`; test/mcp/direct-sse.test.ts compares).
 */
export function resourceUpdatedJson(uri: string): string {
  let json = updatedJson.get(uri);
  if (json === undefined) {
    if (updatedJson.size >= 10_000) updatedJson.clear(); // URIs are few (subscriptions are capped); bounded anyway
    json = `{"method":"notifications/resources/updated","params":{"uri":${JSON.stringify(uri)}},"jsonrpc":"2.0"}`;
    updatedJson.set(uri, json);
  }
  return json;
}
const updatedJson = new Map<string, string>();

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The ids of the JSON-RPC requests in a POST body. */
function requestIds(body: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of Array.isArray(body) ? body : [body]) {
    const { id, method } = (m ?? {}) as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) out.push(id);
  }
  return out;
}

function negotiated(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

export class SessionManager {
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly sessions = new Map<string, McpSession>();
  private readonly adopting = new Map<string, Promise<McpSession | undefined>>();
  private readonly releaseWaiters = new Map<string, () => void>();
  private sub?: Redis;
  private sweeper?: NodeJS.Timeout;
  private offWatches?: () => void;
  private readonly log: Logger;

  constructor(private readonly opts: SessionManagerOptions) {
    this.log = opts.log.child({ component: 'mcp-sessions', instance: this.instanceId });
  }

  private get services() {
    return this.opts.services;
  }

  private get idleMs() {
    return this.services.config.BRIDGE_SESSION_IDLE_TIMEOUT;
  }

  async start(): Promise<void> {
    this.sub = this.services.redis.duplicate();
    this.sub.on('error', (err) => this.log.warn({ err }, 'session control subscriber error'));
    this.sub.on('message', (_channel, raw) => this.onControl(raw));
    await this.sub.subscribe(this.services.keys.mcpControl);
    // resources/list includes watched channels: tell every session when the watch list changes
    this.offWatches = this.opts.fanout.onWatchesChanged(() => {
      for (const s of this.sessions.values()) {
        s.server.server.sendResourceListChanged().catch((err) => this.log.debug({ err }, 'list_changed not sent'));
      }
    });
    const every = this.opts.sweepIntervalMs ?? Math.min(30_000, Math.max(1000, this.idleMs / 4));
    this.sweeper = setInterval(() => this.sweepIdle(), every);
    this.sweeper.unref();
  }

  /** Closes every local session but keeps them in Redis, so clients can resume on another instance. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.offWatches?.();
    await Promise.all([...this.sessions.values()].map((s) => this.close(s, 'shutdown', false)));
    this.sub?.disconnect();
    this.sub = undefined;
  }

  get size(): number {
    return this.sessions.size;
  }

  list(): McpSession[] {
    return [...this.sessions.values()];
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  /** Handles one authenticated /mcp request (POST, GET or DELETE). */
  async handle(req: IncomingMessage, res: ServerResponse, identity: Identity, body: unknown): Promise<void> {
    const sid = req.headers['mcp-session-id'];
    let session: McpSession | undefined;
    let isInit = false;
    if (typeof sid !== 'string' || !sid) {
      isInit = req.method === 'POST' && isInitializeRequest(body as JSONRPCMessage);
      if (!isInit) {
        jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required; start with initialize');
        return;
      }
      session = await this.create(identity);
    } else {
      session = this.sessions.get(sid) ?? (await this.adopt(sid, identity));
      if (!session || session.identity.keyName !== identity.keyName) {
        jsonRpcError(res, 404, -32001, 'Session not found; initialize a new session');
        return;
      }
    }
    await this.serve(session, req, res, identity, body);
    if (isInit) {
      if (res.statusCode === 200) await this.persist(session, body as { params: Record<string, unknown> });
      else await this.close(session, 'initialize failed', true);
    }
  }

  private async serve(
    session: McpSession,
    req: IncomingMessage,
    res: ServerResponse,
    identity: Identity,
    body: unknown,
  ): Promise<void> {
    session.touch();
    session.activeRequests++;
    const authInfo = { token: '', clientId: identity.keyName, scopes: identity.scopes };
    const ids = requestIds(body);
    // the whole response reached the socket: its stream will not be resumed, nothing of it need be stored
    if (ids.length) res.once('finish', () => session.store.delivered(ids));
    try {
      const direct = req.method === 'POST' ? session.post.serve(req, res, body, authInfo) : undefined;
      if (direct) {
        await direct;
        return;
      }
      const ac = new AbortController();
      res.once('close', () => ac.abort());
      const web = toWebRequest(req, ac.signal);
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/event-stream')) {
        await this.serveStream(session, web, res);
      } else {
        const response = await session.transport.handleRequest(web, { parsedBody: body, authInfo });
        if (req.method === 'POST' && (req.headers.accept ?? '').includes('application/json')) {
          await sendPostResponse(res, response, session.post.waitMs);
        } else {
          await sendWebResponse(res, response);
        }
      }
    } finally {
      session.activeRequests--;
      session.touch();
      if (session.standalone === res) session.standalone = undefined;
      session.direct.detach(res);
      this.refresh(session);
    }
  }

  /**
   * The standalone GET stream. Notifications are held back while it is being
   * attached (replay included), and the stream starts with a priming event so
   * the client holds a Last-Event-ID even before the first notification.
   */
  private async serveStream(session: McpSession, web: Request, res: ServerResponse): Promise<void> {
    const lastEventId = web.headers.get('last-event-id') ?? undefined;
    const version = web.headers.get('mcp-protocol-version') ?? '';
    const prime = version >= '2025-11-25';
    let prefix: string | undefined;
    const response = await session.outbox.exclusive(async () => {
      const streamOfLast = lastEventId ? await session.store.getStreamIdForEventId(lastEventId) : STANDALONE_STREAM_ID;
      const standalone = streamOfLast === STANDALONE_STREAM_ID;
      let primingId: string | undefined;
      if (prime && standalone) {
        primingId = lastEventId ?? (await session.store.storeEvent(STANDALONE_STREAM_ID, {} as JSONRPCMessage));
      }
      const r = await session.transport.handleRequest(web);
      if (r.ok && standalone) {
        session.standalone = res;
        session.direct.attach(res);
        if (primingId) prefix = sseEvent(undefined, primingId);
      }
      return r;
    });
    await sendWebResponse(res, response, { prefix, onIdle: (idle) => session.direct.pumpIdle(res, idle) });
  }

  private newSession(id: string, identity: Identity): McpSession {
    const store = new RedisEventStore(
      this.services.redis,
      this.services.keys,
      id,
      { maxStandalone: 10_000, maxRequest: 1_000, ttlMs: this.idleMs },
      (err) => this.log.warn({ err, session: id }, 'could not store an event for resumption (it was sent)'),
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: store,
      onsessionclosed: () => {
        if (session.ending === undefined) session.ending = { reason: 'client ended the session', forget: true };
      },
    });
    const info: SessionInfo = { id, keyName: identity.keyName, scopes: identity.scopes, policy: identity.policy };
    const waitMs = this.opts.jsonAnswerWaitMs ?? JSON_ANSWER_WAIT_MS;
    const session = new McpSession(id, identity, info, transport, store, waitMs);
    session.outbox = new Outbox({
      send: (uri) => session.sendUpdated(uri),
      isBlocked: () => Boolean(session.standalone?.writableNeedDrain),
      onStalled: (ms) => {
        this.log.warn(
          { session: id, key: identity.keyName, blockedMs: ms },
          'closing MCP session: its stream stayed blocked',
        );
        void this.close(session, 'stream blocked', true);
      },
      onError: (err) => this.log.warn({ err, session: id }, 'notification send failed'),
      maxBlockedMs: this.opts.maxBlockedMs ?? 30_000,
    });
    session.server = buildMcpServer({
      services: this.services,
      session: info,
      tools: this.opts.toolsFor(identity),
      log: this.log,
      subscriptions: {
        subscribe: (uri) => this.subscribe(session, uri),
        unsubscribe: (uri) => this.unsubscribe(session, uri),
      },
    });
    transport.onclose = () => void this.cleanup(session);
    return session;
  }

  private async create(identity: Identity): Promise<McpSession> {
    const id = randomBytes(24).toString('base64url');
    const session = this.newSession(id, identity);
    await session.server.connect(session.transport);
    this.sessions.set(id, session);
    sessionsGauge.set(this.sessions.size);
    return session;
  }

  private async persist(session: McpSession, init: { params: Record<string, unknown> }): Promise<void> {
    const record: SessionRecord = {
      keyName: session.identity.keyName,
      protocolVersion: negotiated(init.params.protocolVersion),
      clientInfo: (init.params.clientInfo as SessionRecord['clientInfo']) ?? { name: 'unknown', version: '0' },
      capabilities: (init.params.capabilities as Record<string, unknown>) ?? {},
      owner: this.instanceId,
      createdAt: new Date().toISOString(),
    };
    const { redis, keys } = this.services;
    await redis
      .multi()
      .set(keys.mcpSession(session.id), JSON.stringify(record), 'PX', this.idleMs)
      .zadd(keys.mcpSessions, Date.now(), session.id)
      .exec();
    this.log.info(
      { session: session.id, key: session.identity.keyName, client: record.clientInfo.name },
      'MCP session started',
    );
  }

  /**
   * Keeps the session's Redis state alive while it is used: at most once per
   * `min(1 s, idle timeout / 10)` per session (a MULTI on every request was a
   * share of the tool-call overhead), with a trailing refresh so the last
   * request of a burst is never left unrecorded.
   */
  private refresh(session: McpSession): void {
    if (session.ending || session.refreshTimer) return;
    const every = Math.min(1000, this.idleMs / 10);
    const wait = session.refreshedAt + every - Date.now();
    if (wait > 0) {
      session.refreshTimer = setTimeout(() => {
        session.refreshTimer = undefined;
        this.refresh(session);
      }, wait);
      session.refreshTimer.unref();
      return;
    }
    session.refreshedAt = Date.now();
    const { redis, keys } = this.services;
    redis
      .multi()
      .pexpire(keys.mcpSession(session.id), this.idleMs)
      .pexpire(keys.mcpSubscriptions(session.id), this.idleMs)
      .zadd(keys.mcpSessions, Date.now(), session.id)
      .exec()
      .catch((err) => this.log.warn({ err }, 'could not refresh session record'));
  }

  private async adopt(sid: string, identity: Identity): Promise<McpSession | undefined> {
    if (sid.length > 200) return undefined;
    const pending = this.adopting.get(sid);
    if (pending) return pending;
    const p = this.doAdopt(sid, identity).finally(() => this.adopting.delete(sid));
    this.adopting.set(sid, p);
    return p;
  }

  private async doAdopt(sid: string, identity: Identity): Promise<McpSession | undefined> {
    const { redis, keys } = this.services;
    const raw = await redis.get(keys.mcpSession(sid));
    if (!raw) return undefined;
    const record = JSON.parse(raw) as SessionRecord;
    if (record.keyName !== identity.keyName) return undefined;
    const previous = record.owner;
    record.owner = this.instanceId;
    await redis.set(keys.mcpSession(sid), JSON.stringify(record), 'PX', this.idleMs);
    if (previous !== this.instanceId) {
      const released = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.handoffWaitMs ?? 1000);
        this.releaseWaiters.set(sid, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await redis.publish(
        keys.mcpControl,
        JSON.stringify({ type: 'claim', sessionId: sid, instance: this.instanceId }),
      );
      await released;
      this.releaseWaiters.delete(sid);
    }
    const session = this.newSession(sid, identity);
    await session.server.connect(session.transport);
    await this.replayInitialize(session, record);
    for (const uri of await redis.smembers(keys.mcpSubscriptions(sid))) {
      session.subscriptions.add(uri);
      this.opts.fanout.subscribe(session, uri);
    }
    this.sessions.set(sid, session);
    sessionsGauge.set(this.sessions.size);
    this.log.info({ session: sid, key: identity.keyName, from: previous }, 'MCP session adopted from another instance');
    return session;
  }

  /** Puts a fresh server/transport into the state the client negotiated with the previous owner. */
  private async replayInitialize(session: McpSession, record: SessionRecord): Promise<void> {
    session.store.muted = true;
    try {
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      };
      const init = {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: record.protocolVersion,
          capabilities: record.capabilities,
          clientInfo: record.clientInfo,
        },
      };
      const r1 = await session.transport.handleRequest(
        new Request('http://localhost/mcp', { method: 'POST', headers, body: JSON.stringify(init) }),
      );
      await r1.text();
      const r2 = await session.transport.handleRequest(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { ...headers, 'mcp-session-id': session.id, 'mcp-protocol-version': record.protocolVersion },
          body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        }),
      );
      await r2.text();
    } finally {
      session.store.muted = false;
    }
  }

  private onControl(raw: string): void {
    let msg: ControlMessage;
    try {
      msg = JSON.parse(raw) as ControlMessage;
    } catch {
      return;
    }
    if (msg.instance === this.instanceId) return;
    if (msg.type === 'released') {
      this.releaseWaiters.get(msg.sessionId)?.();
      return;
    }
    const session = this.sessions.get(msg.sessionId);
    if (!session) return;
    void this.close(session, `handed over to instance ${msg.instance}`, false).then(() =>
      this.services.redis.publish(
        this.services.keys.mcpControl,
        JSON.stringify({ type: 'released', sessionId: msg.sessionId, instance: this.instanceId }),
      ),
    );
  }

  private async subscribe(session: McpSession, uri: string): Promise<void> {
    if (typeof uri !== 'string' || uri.length === 0 || uri.length > 1000) {
      throw subscriptionError('uri must be 1-1000 characters');
    }
    if (session.subscriptions.has(uri)) return;
    const max = this.services.config.BRIDGE_MAX_SUBSCRIPTIONS;
    if (session.subscriptions.size >= max) {
      throw subscriptionError(
        `this session already holds ${max} subscriptions (BRIDGE_MAX_SUBSCRIPTIONS); unsubscribe from some first`,
      );
    }
    const parsed = parseUri(uri);
    if (parsed && !(await resourceAllowed(this.services, session.info, parsed))) {
      throw subscriptionError(`${uri} is not available to this API key (channel policy)`);
    }
    // Unknown URIs are accepted (the spec allows it, and clients probe with them); they never fire.
    session.subscriptions.add(uri);
    this.opts.fanout.subscribe(session, uri);
    const key = this.services.keys.mcpSubscriptions(session.id);
    await this.services.redis.multi().sadd(key, uri).pexpire(key, this.idleMs).exec();
  }

  private async unsubscribe(session: McpSession, uri: string): Promise<void> {
    session.subscriptions.delete(uri);
    this.opts.fanout.unsubscribe(session, uri);
    await this.services.redis.srem(this.services.keys.mcpSubscriptions(session.id), uri);
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (s.activeRequests === 0 && now - s.lastActivity > this.idleMs) {
        this.log.info({ session: s.id, key: s.identity.keyName }, 'closing idle MCP session');
        void this.close(s, 'idle', true);
      }
    }
  }

  /** Ends a session here; with `forget` it is gone for good (Redis state removed). */
  async close(session: McpSession, reason: string, forget: boolean): Promise<void> {
    if (session.ending === undefined) session.ending = { reason, forget };
    await session.transport.close().catch(() => undefined);
    await this.cleanup(session);
  }

  private async cleanup(session: McpSession): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    sessionsGauge.set(this.sessions.size);
    if (session.refreshTimer) clearTimeout(session.refreshTimer);
    const ending = session.ending ?? { reason: 'transport closed', forget: true };
    // a send still in flight must not recreate the store after clear()
    if (ending.forget) session.store.muted = true;
    session.outbox.close();
    session.post.close();
    for (const uri of session.subscriptions) this.opts.fanout.unsubscribe(session, uri);
    await session.server.close().catch(() => undefined);
    if (ending.forget) {
      const { redis, keys } = this.services;
      await redis
        .multi()
        .unlink(keys.mcpSession(session.id), keys.mcpSubscriptions(session.id))
        .zrem(keys.mcpSessions, session.id)
        .exec()
        .catch(() => undefined);
      await session.store.clear().catch(() => undefined);
      this.log.info({ session: session.id, key: session.identity.keyName, reason: ending.reason }, 'MCP session ended');
    } else {
      await session.store.persistHeld(); // another instance may resume its request streams
    }
  }
}
