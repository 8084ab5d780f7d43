/**
 * The WebSocket hub: connections that outlive their sockets (the reliable
 * WebSocket protocol of platform/web_conn.go + web_hub.go), per-connection
 * `seq`, the 128-event dead queue, events queued for inactive connections,
 * event scoping, and reaping of inactive connections.
 */
import type WebSocket from 'ws';
import { newId, nowMs } from './ids';
import type { Store } from './store';
import { goJson, sortedKeys } from './wire-json';

export const DEAD_QUEUE_SIZE = 128;
/** Size of a connection's send channel; a full one gets the connection closed and removed. */
export const SEND_QUEUE_SIZE = 256;
export const SERVER_VERSION = '10.5.0';

export interface Broadcast {
  omit_users: Record<string, boolean> | null;
  user_id: string;
  channel_id: string;
  team_id: string;
  connection_id: string;
  omit_connection_id: string;
  contains_sanitized_data?: boolean;
  contains_sensitive_data?: boolean;
}

export interface HubEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Broadcast;
  /** Broadcast hooks: extra data keys for one recipient (e.g. `mentions`). */
  perUser?: (userId: string) => Record<string, unknown> | undefined;
}

export function broadcast(fields: Partial<Broadcast> = {}): Broadcast {
  return {
    omit_users: fields.omit_users ?? null,
    user_id: fields.user_id ?? '',
    channel_id: fields.channel_id ?? '',
    team_id: fields.team_id ?? '',
    connection_id: fields.connection_id ?? '',
    omit_connection_id: fields.omit_connection_id ?? '',
    ...(fields.contains_sanitized_data ? { contains_sanitized_data: true } : {}),
    ...(fields.contains_sensitive_data ? { contains_sensitive_data: true } : {}),
  };
}

/** An event ready to write: its JSON parts, and whether it went through PrecomputeJSON (spaced format). */
interface Frame {
  event: string;
  dataJson: string;
  broadcastJson: string;
  precomputed: boolean;
}

function render(frame: Frame, seq: number): string {
  if (frame.precomputed) {
    return `{"event": ${goJson(frame.event)}, "data": ${frame.dataJson}, "broadcast": ${frame.broadcastJson}, "seq": ${seq}}`;
  }
  return `{"event":${goJson(frame.event)},"data":${frame.dataJson},"broadcast":${frame.broadcastJson},"seq":${seq}}\n`;
}

export class Conn {
  connectionId: string;
  userId = '';
  token = '';
  socket: WebSocket | null;
  active = true;
  /** The seq of the next event written. */
  seq = 0;
  dead: { seq: number; frame: Frame }[] = [];
  /** Events broadcast while the socket was gone (the Go send channel). */
  pending: Frame[] = [];
  reuseCount = 0;
  inactiveSince = 0;

  constructor(socket: WebSocket, connectionId = newId()) {
    this.socket = socket;
    this.connectionId = connectionId;
  }

  get authenticated(): boolean {
    return this.userId !== '';
  }

  write(frame: Frame): void {
    const seq = this.seq++;
    this.dead.push({ seq, frame });
    if (this.dead.length > DEAD_QUEUE_SIZE) this.dead.shift();
    this.socket?.send(render(frame, seq));
  }

  /** Replies (`seq_reply`) bypass seq and the dead queue. */
  reply(body: Record<string, unknown>): void {
    this.socket?.send(goJson(body) + '\n');
  }
}

export interface HubHooks {
  /** A user's first active connection registered (the real server sets the status online). */
  onConnect(userId: string): void;
  /** A user's last active connection went away (the real server sets the status offline). */
  onAllInactive(userId: string): void;
}

export class Hub {
  /** Registered (authenticated) connections, active or not, by connection id. */
  private readonly conns = new Map<string, Conn>();
  private reaper: NodeJS.Timeout | undefined;
  hooks: HubHooks = { onConnect: () => undefined, onAllInactive: () => undefined };

  constructor(
    private readonly store: Store,
    public reapAfterMs: number,
  ) {
    const every = Math.min(Math.max(Math.floor(reapAfterMs / 2), 10), 60_000);
    this.reaper = setInterval(() => this.reapInactive(), every);
    this.reaper.unref();
  }

  close(): void {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    for (const c of this.conns.values()) c.socket?.terminate();
    this.conns.clear();
  }

  all(): Conn[] {
    return [...this.conns.values()];
  }

  helloFrame(conn: Conn): Frame {
    const data = sortedKeys({
      connection_id: conn.connectionId,
      server_hostname: 'fake-mattermost',
      server_version: `${SERVER_VERSION}.${SERVER_VERSION}.fakeconfighash.false`,
    });
    return {
      event: 'hello',
      dataJson: goJson(data),
      broadcastJson: goJson(broadcast({ user_id: conn.userId })),
      precomputed: false,
    };
  }

  /** Hub.Register: a fresh connection gets `hello`; a reused one does not. */
  register(conn: Conn, afterHello?: () => void): void {
    const hadActive = this.activeCount(conn.userId) > 0;
    conn.active = true;
    this.conns.set(conn.connectionId, conn);
    if (conn.reuseCount === 0) conn.write(this.helloFrame(conn));
    afterHello?.();
    if (!hadActive) this.hooks.onConnect(conn.userId);
  }

  /**
   * PopulateWebConnConfig + the start of writePump for a resume request.
   * Returns the connection to use, or 'close' when the request must be refused.
   */
  resume(
    socket: WebSocket,
    userId: string,
    token: string,
    connectionId: string,
    seqParam: string | null,
  ): Conn | 'close' {
    const old = this.conns.get(connectionId);
    if (!old || old.active || old.userId !== userId) {
      const conn = new Conn(socket);
      conn.userId = userId;
      conn.token = token;
      this.register(conn);
      return conn;
    }
    if (seqParam === null || seqParam === '') return 'close';
    const seq = /^-?\d+$/.test(seqParam) ? Number(seqParam) : NaN;
    if (!Number.isSafeInteger(seq) || seq < 0) return 'close';

    old.socket = socket;
    old.token = token;
    old.reuseCount += 1;
    old.seq = seq;
    const hadActive = this.activeCount(userId) > 0;
    old.active = true;
    old.inactiveSince = 0;
    if (seq !== 0) {
      const index = old.dead.findIndex((d) => d.seq === seq);
      if (index >= 0) {
        for (const d of old.dead.slice(index)) {
          socket.send(render(d.frame, d.seq));
          old.seq = d.seq + 1;
        }
      } else if (this.hasMsgLoss(old)) {
        // The wanted seq is gone: a new identity, seq 0 and hello (the client treats it as missed events).
        this.conns.delete(old.connectionId);
        old.dead = [];
        old.connectionId = newId();
        old.seq = 0;
        this.conns.set(old.connectionId, old);
        old.write(this.helloFrame(old));
      }
    }
    const pending = old.pending;
    old.pending = [];
    for (const frame of pending) old.write(frame);
    if (!hadActive) this.hooks.onConnect(userId);
    return old;
  }

  private hasMsgLoss(conn: Conn): boolean {
    const last = conn.dead[conn.dead.length - 1];
    if (!last) return false;
    return last.seq !== conn.seq - 1;
  }

  /** The socket of a registered connection went away: keep it, inactive, for a resume. */
  deactivate(conn: Conn): void {
    if (!conn.active) return;
    conn.active = false;
    conn.socket = null;
    conn.inactiveSince = nowMs();
    if (!this.conns.has(conn.connectionId)) return;
    if (this.activeCount(conn.userId) === 0) this.hooks.onAllInactive(conn.userId);
  }

  activeCount(userId: string): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.userId === userId && c.active) n++;
    return n;
  }

  /** Cut every socket abruptly; the connections stay, inactive, with their queues. */
  dropAll(): number {
    let n = 0;
    for (const c of [...this.conns.values()]) {
      if (!c.active || !c.socket) continue;
      const socket = c.socket;
      this.deactivate(c);
      socket.terminate();
      n++;
    }
    return n;
  }

  /** RemoveInactiveConnections; with `force`, every inactive connection regardless of age. */
  reapInactive(force = false): number {
    const now = nowMs();
    let n = 0;
    for (const [id, c] of this.conns) {
      if (!c.active && (force || now - c.inactiveSince >= this.reapAfterMs)) {
        this.conns.delete(id);
        n++;
      }
    }
    return n;
  }

  publish(evt: HubEvent): void {
    const base: Frame = {
      event: evt.event,
      dataJson: goJson(sortedKeys(evt.data)),
      broadcastJson: goJson(evt.broadcast),
      precomputed: true,
    };
    for (const conn of [...this.conns.values()]) {
      if (!this.shouldSend(conn, evt)) continue;
      const extra = evt.perUser?.(conn.userId);
      const frame: Frame = extra
        ? { ...base, dataJson: goJson(sortedKeys({ ...evt.data, ...extra })), precomputed: false }
        : base;
      this.deliver(conn, frame);
    }
  }

  private deliver(conn: Conn, frame: Frame): void {
    if (conn.active) {
      conn.write(frame);
      return;
    }
    conn.pending.push(frame);
    if (conn.pending.length > SEND_QUEUE_SIZE) this.conns.delete(conn.connectionId);
  }

  /** WebConn.ShouldSendEvent. */
  private shouldSend(conn: Conn, evt: HubEvent): boolean {
    const b = evt.broadcast;
    if (!conn.authenticated) return false;
    const admin = this.store.isSystemAdmin(conn.userId);
    if (b.contains_sanitized_data && admin) return false;
    if (b.contains_sensitive_data && !admin) return false;
    if (b.connection_id) return conn.connectionId === b.connection_id;
    if (b.omit_connection_id && conn.connectionId === b.omit_connection_id) return false;
    if (b.user_id) return conn.userId === b.user_id;
    if (b.omit_users && b.omit_users[conn.userId]) return false;
    if (b.channel_id) return this.store.isChannelMember(b.channel_id, conn.userId);
    if (b.team_id) return this.store.isTeamMember(b.team_id, conn.userId);
    return true;
  }
}
