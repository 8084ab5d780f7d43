/**
 * `GET /api/v4/websocket`: authentication on the upgrade or by
 * `authentication_challenge`, resume with `connection_id` +
 * `sequence_number`, and the router of client actions
 * (api4/websocket.go, platform/websocket_router.go, wsapi/*).
 */
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { FakeApp } from './app';
import { AppError, errors } from './app-error';
import type { Faults } from './faults';
import { tokenFromRequest } from './http';
import { Conn, SERVER_VERSION, broadcast } from './hub';
import { isValidId, nowMs } from './ids';
import { goJson } from './wire-json';

export const WEBSOCKET_PATHS = new Set(['/api/v4/websocket', '/api/v4/websocket/']);

export interface WebSocketOptions {
  /** authCheckInterval: an unauthenticated socket is closed after this long (5 s on the real server). */
  authTimeoutMs: number;
}

export class FakeWebSocketServer {
  readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly app: FakeApp,
    private readonly faults: Faults,
    private readonly opts: WebSocketOptions,
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.onUpgrade(req, socket, head).catch(() => socket.destroy());
    });
  }

  close(): void {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
    this.wss.close();
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.on('finish', () => socket.destroy());
    if (!WEBSOCKET_PATHS.has(url.pathname)) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end(goJson(errors.notFound404().toJSON()));
      return;
    }
    if (await this.faults.handle(req, res, url.pathname)) return;
    const found = tokenFromRequest(req);
    if (found?.where === 'query') {
      res.statusCode = 401;
      res.setHeader('Content-Type', 'application/json');
      res.end(goJson(errors.tokenProvided().toJSON()));
      return;
    }
    res.detachSocket(socket as never);
    // A bad token does not fail the upgrade: the socket just opens unauthenticated.
    const user = found ? this.app.store.userForToken(found.token) : undefined;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      this.onConnection(ws, url, user?.id ?? '', user ? found!.token : '');
    });
  }

  private onConnection(ws: WebSocket, url: URL, userId: string, token: string): void {
    const hub = this.app.hub;
    let conn: Conn;
    const connectionId = url.searchParams.get('connection_id') ?? '';
    if (userId === '' || connectionId === '') {
      conn = new Conn(ws);
      if (userId) {
        conn.userId = userId;
        conn.token = token;
        hub.register(conn);
      }
    } else {
      if (!isValidId(connectionId)) {
        ws.terminate();
        return;
      }
      const resumed = hub.resume(ws, userId, token, connectionId, url.searchParams.get('sequence_number'));
      if (resumed === 'close') {
        ws.terminate();
        return;
      }
      conn = resumed;
    }

    const authTimer = setTimeout(() => {
      if (!conn.authenticated) ws.terminate();
    }, this.opts.authTimeoutMs);
    authTimer.unref();

    ws.on('message', (raw, isBinary) => this.onMessage(conn, ws, raw, isBinary));
    ws.on('close', () => {
      clearTimeout(authTimer);
      if (conn.socket === ws) hub.deactivate(conn);
    });
    ws.on('error', () => ws.terminate());
  }

  private onMessage(conn: Conn, ws: WebSocket, raw: WebSocket.RawData, isBinary: boolean): void {
    let req: { action?: unknown; seq?: unknown; data?: unknown };
    try {
      if (isBinary) throw new Error('msgpack frames are not simulated');
      const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString('utf8');
      req = JSON.parse(text);
      if (typeof req !== 'object' || req === null) throw new Error('not an object');
      if (req.seq !== undefined && (typeof req.seq !== 'number' || !Number.isInteger(req.seq)))
        throw new Error('bad seq');
      if (req.action !== undefined && typeof req.action !== 'string') throw new Error('bad action');
    } catch {
      // A frame that does not decode ends the read pump: the server closes the socket.
      ws.terminate();
      return;
    }
    const action = (req.action as string | undefined) ?? '';
    const seq = (req.seq as number | undefined) ?? 0;
    const data = typeof req.data === 'object' && req.data !== null ? (req.data as Record<string, unknown>) : {};
    const fail = (err: AppError) =>
      conn.reply({ status: 'FAIL', seq_reply: seq, error: { ...err.toJSON(), detailed_error: '' } });

    if (action === '')
      return fail(new AppError('api.web_socket_router.no_action.app_error', 'No websocket action.', 400));
    if (seq <= 0)
      return fail(
        new AppError('api.web_socket_router.bad_seq.app_error', 'Invalid sequence for WebSocket message.', 400),
      );
    if (action === 'authentication_challenge') {
      if (conn.token !== '') return; // already authenticated: silently ignored
      const token = typeof data.token === 'string' ? data.token : '';
      const user = token ? this.app.store.userForToken(token) : undefined;
      if (!user) {
        ws.terminate();
        return;
      }
      conn.userId = user.id;
      conn.token = token;
      this.app.hub.register(conn, () => conn.reply({ status: 'OK', seq_reply: seq }));
      return;
    }
    if (!conn.authenticated) {
      return fail(
        new AppError(
          'api.web_socket_router.not_authenticated.app_error',
          'Could not authenticate WebSocket connection.',
          401,
        ),
      );
    }
    const ok = (payload?: Record<string, unknown>) =>
      conn.reply(payload ? { status: 'OK', seq_reply: seq, data: payload } : { status: 'OK', seq_reply: seq });
    const invalid = (name: string) =>
      fail(new AppError('api.websocket_handler.invalid_param.app_error', `Invalid ${name} parameter.`, 400));
    const store = this.app.store;
    switch (action) {
      case 'ping':
        return ok({ node_id: '', server_time: nowMs(), text: 'pong', version: SERVER_VERSION });
      case 'get_statuses': {
        const map: Record<string, string> = {};
        for (const s of [...store.statuses.values()].sort((a, b) => (a.user_id < b.user_id ? -1 : 1)))
          map[s.user_id] = s.status;
        return ok(map);
      }
      case 'get_statuses_by_ids': {
        const ids = data.user_ids;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isValidId)) return invalid('user_ids');
        const map: Record<string, string> = {};
        for (const id of [...(ids as string[])].sort()) map[id] = store.statuses.get(id)?.status ?? 'offline';
        return ok(map);
      }
      case 'user_typing': {
        const channelId = data.channel_id;
        if (!isValidId(channelId)) return invalid('channel_id');
        const parentId = typeof data.parent_id === 'string' ? data.parent_id : '';
        this.app.publish({
          event: 'typing',
          data: { parent_id: parentId, user_id: conn.userId },
          broadcast: broadcast({ channel_id: channelId, omit_users: { [conn.userId]: true } }),
        });
        return ok();
      }
      case 'user_update_active_status': {
        if (typeof data.user_is_active !== 'boolean') return invalid('user_is_active');
        if (data.user_is_active) this.app.setStatus(conn.userId, 'online', false);
        else this.app.setStatus(conn.userId, 'away', false);
        return ok();
      }
      case 'presence':
      case 'posted_notify_ack':
        return ok();
      default:
        return fail(new AppError('api.web_socket_router.bad_action.app_error', 'Unknown WebSocket action.', 500));
    }
  }
}
