/**
 * The ingest role: one active WebSocket consumer per bot (leader election on
 * keys.ingestLock), frames micro-batched into the partition queues, REST
 * catch-up at start-up and whenever the server could not replay, the polling
 * fallback while the WebSocket is down past BRIDGE_WS_GRACE (or disabled), and
 * the presence schedule. Its state is published in Redis for /readyz.
 *
 * Order: while a catch-up runs, WebSocket events are held back (not sent) and
 * go out after what the catch-up enqueued, so a channel's older changes are
 * not queued behind newer ones. Offsets advance only after their events were
 * enqueued, so a crash anywhere re-fetches instead of losing.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Client4 } from '@mattermost/client';
import type { Redis } from 'ioredis';
import type { BridgeConfig } from '../../config/load';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';
import type { WatchList } from '../../watches/types';
import { setWebSocketState, websocketReconnects, type WebSocketState } from '../metrics';
import type { EventQueues } from '../queue/producer';
import { runCatchup, type CatchupReport } from '../catchup/catchup';
import { ChannelOffsets, postOffsetsOf } from '../catchup/offsets';
import { startCatchupScheduler, type CatchupScheduler } from '../catchup/scheduler';
import { MicroBatcher, type BatchMeta } from './batcher';
import { OffsetWriter } from './offset-writer';
import { LeaderElection } from './lock';
import { writeIngestStatus, type IngestStatus } from './state';
import { IngestSocket, type ReconnectOptions } from './websocket';

export interface IngestDeps {
  /** A connection with `maxRetriesPerRequest: null` (shared; not closed here). */
  redis: Redis;
  /** BullMQ's connection, for the catch-up schedules created here (services.queueRedis; default `redis`). */
  queueRedis?: Redis;
  keys: RedisKeys;
  log: Logger;
  /** Client4 of the bot (services.mattermost): catch-up and the WebSocket URL. */
  client: Client4;
  /** The bot's token, for the WebSocket upgrade (MATTERMOST_TOKEN). */
  token: string;
  /** Which channels catch-up fetches (watch list, team scope, policy). */
  watches: Pick<WatchList, 'isStreamed'>;
  /** The partition queues' producer (shared; not closed here). */
  queues: EventQueues;
  /** The schedules of the `catchup` queue; created (and closed) here when absent. */
  scheduler?: CatchupScheduler;
}

export interface IngestOptions {
  /** BRIDGE_WEBSOCKET: false = polling only. */
  websocket: boolean;
  /** BRIDGE_WS_GRACE: how long the WebSocket may be down before polling starts. */
  wsGraceMs: number;
  /** POLL_INTERVAL */
  pollIntervalMs: number;
  /** BRIDGE_STATUS_POLL_INTERVAL */
  presenceIntervalMs: number;
  /** BRIDGE_INGEST_LOCK_TTL */
  lockTtlMs: number;
  /** Subtracted from catch-up offsets (default 2 s). */
  skewMs?: number;
  reconnect?: ReconnectOptions;
  /** Events per enqueue at most (default 2000). */
  maxBatch?: number;
  /** Least time between two WebSocket sends while busy (MicroBatcher.minIntervalMs, default 20 ms). */
  batchIntervalMs?: number;
  /** Names this process in the lock and the published state (default host:pid:random). */
  instance?: string;
}

export function ingestOptionsFromConfig(config: BridgeConfig): IngestOptions {
  return {
    websocket: config.BRIDGE_WEBSOCKET,
    wsGraceMs: config.BRIDGE_WS_GRACE,
    pollIntervalMs: config.POLL_INTERVAL,
    presenceIntervalMs: config.BRIDGE_STATUS_POLL_INTERVAL,
    lockTtlMs: config.BRIDGE_INGEST_LOCK_TTL,
  };
}

export interface RunningIngest {
  readonly instance: string;
  /** Whether this process is the active ingest now. */
  isLeader(): boolean;
  /** This process's view (also published at keys.ingestState while it leads). */
  status(): IngestStatus;
  /** Leaves: closes the WebSocket, sends what is buffered, turns its schedules off, releases the lock. */
  stop(): Promise<void>;
}

/** Catch-up passes retried for channels that failed, before waiting for the next trigger. */
const CATCHUP_RETRIES = 5;
/** How long leaving waits for buffered events to be sent (Redis down: they are re-fetched by the next leader). */
const DRAIN_TIMEOUT_MS = 10_000;
/** Channel offsets are written at most this often (offset-writer.ts): a lag of this much only re-fetches. */
const OFFSET_WRITE_INTERVAL_MS = 100;

class Ingest implements RunningIngest {
  readonly instance: string;
  private readonly election: LeaderElection;
  private readonly batcher: MicroBatcher;
  private readonly offsets: ChannelOffsets;
  /** The WebSocket batches' offsets, written after their enqueue but off the send path. */
  private readonly offsetWriter: OffsetWriter;
  private readonly scheduler: CatchupScheduler;
  private readonly ownsScheduler: boolean;
  private socket: IngestSocket | undefined;
  private leader = false;
  private stopping = false;
  private ws: WebSocketState = 'standby';
  private wsSince = Date.now();
  private catchingUp = false;
  private polling = false;
  private reconnects = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private catchupWanted = false;
  private catchupLoop: Promise<void> | undefined;
  private teardown: Promise<void> = Promise.resolve();
  private backoff: { done: Promise<void>; cancel: () => void } | undefined;
  /** Schedule changes, in order. */
  private ops: Promise<void> = Promise.resolve();
  /** Polling state unknown in Redis after an election (a dead leader may have left it on). */
  private pollingUnknown = true;

  constructor(
    private readonly deps: IngestDeps,
    private readonly opts: IngestOptions,
  ) {
    this.instance = opts.instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.offsets = new ChannelOffsets(deps.redis, deps.keys);
    this.offsetWriter = new OffsetWriter((o) => this.offsets.advance(o), deps.log, 50, OFFSET_WRITE_INTERVAL_MS);
    this.ownsScheduler = !deps.scheduler;
    this.scheduler =
      deps.scheduler ??
      startCatchupScheduler({
        connection: deps.queueRedis ?? deps.redis,
        keys: deps.keys,
        pollIntervalMs: opts.pollIntervalMs,
        presenceIntervalMs: opts.presenceIntervalMs,
        log: deps.log,
      });
    this.batcher = new MicroBatcher({
      log: deps.log,
      maxBatch: opts.maxBatch,
      minIntervalMs: opts.batchIntervalMs,
      ready: (timeoutMs) => deps.queues.starts.whenTaken(timeoutMs),
      send: (events, meta) => this.send(events, meta),
    });
    this.election = new LeaderElection({
      redis: deps.redis,
      key: deps.keys.ingestLock,
      ttlMs: opts.lockTtlMs,
      owner: this.instance,
      log: deps.log,
      onElected: () => this.elected(),
      onDeposed: (reason) => this.deposed(reason),
      onRenewed: () => this.publish(),
    });
    setWebSocketState('standby');
  }

  start(): void {
    this.election.start();
  }

  isLeader(): boolean {
    return this.leader;
  }

  status(): IngestStatus {
    return {
      instance: this.instance,
      websocket: this.ws,
      ...(this.ws === 'connected' && this.socket?.currentConnectionId
        ? { connectionId: this.socket.currentConnectionId }
        : {}),
      catchingUp: this.catchingUp,
      polling: this.polling,
      since: this.wsSince,
      updatedAt: Date.now(),
      reconnects: this.reconnects,
    };
  }

  private publish(): void {
    if (!this.leader) return;
    writeIngestStatus(this.deps.redis, this.deps.keys, this.status(), this.opts.lockTtlMs).catch((err) =>
      this.deps.log.debug({ err: (err as Error).message }, 'publishing the ingest state failed'),
    );
  }

  private setWs(state: WebSocketState): void {
    if (this.ws === state) return;
    this.ws = state;
    this.wsSince = Date.now();
    setWebSocketState(state);
    this.publish();
  }

  private schedule(what: string, op: () => Promise<void>): void {
    this.ops = this.ops
      .then(op)
      .catch((err) => this.deps.log.warn({ err: (err as Error).message, what }, 'changing a REST schedule failed'));
  }

  private setPolling(on: boolean): void {
    if (on === this.polling && !this.pollingUnknown) return;
    this.pollingUnknown = false;
    this.polling = on;
    if (on) this.deps.log.warn({ graceMs: this.opts.wsGraceMs }, 'WebSocket unavailable: REST polling on');
    this.publish();
    this.schedule(on ? 'polling on' : 'polling off', () => this.scheduler.setPolling(on));
  }

  // ------------------------------------------------------------------ leadership

  private elected(): void {
    this.leader = true;
    this.pollingUnknown = true;
    this.schedule('presence on', () => this.scheduler.setPresence(true));
    if (!this.opts.websocket) {
      this.setWs('disabled');
      this.setPolling(true);
      this.requestCatchup('start-up');
      return;
    }
    this.setWs('connecting');
    this.requestCatchup('start-up');
    this.socket = new IngestSocket({
      url: this.deps.client.getWebSocketUrl(),
      token: this.deps.token,
      log: this.deps.log,
      reconnect: this.opts.reconnect,
      onEvent: (msg, connectionId) => this.batcher.push(msg, connectionId),
      onMissed: () => {
        this.deps.log.info('the server could not replay missed events (new connection): catching up over REST');
        this.requestCatchup('missed');
      },
      onOpen: (reconnect) => this.opened(reconnect),
      onClose: () => this.closed(),
    });
    this.socket.connect();
    this.deps.log.info({ instance: this.instance }, 'ingest active: WebSocket connecting');
  }

  private deposed(reason: 'lost' | 'stopped'): void {
    this.leader = false;
    this.clearGrace();
    this.socket?.close();
    this.socket = undefined;
    this.setWs('standby');
    const wasPolling = this.polling;
    this.polling = false;
    this.backoff?.cancel();
    this.teardown = (async () => {
      // Events already received are valid: send them (the new leader's duplicates are de-duplicated).
      await bounded(this.batcher.drain(true), DRAIN_TIMEOUT_MS);
      await bounded(this.offsetWriter.flush(), DRAIN_TIMEOUT_MS);
      await bounded(this.catchupLoop ?? Promise.resolve(), DRAIN_TIMEOUT_MS);
      if (reason === 'stopped') {
        // Only on a deliberate stop: a process that lost the lock leaves the schedules to the new leader.
        this.schedule('presence off', () => this.scheduler.setPresence(false));
        if (wasPolling || !this.opts.websocket) this.schedule('polling off', () => this.scheduler.setPolling(false));
        await this.ops;
      }
    })();
  }

  // ------------------------------------------------------------------ WebSocket

  private opened(reconnect: boolean): void {
    if (!this.leader) return;
    if (reconnect) {
      this.reconnects++;
      websocketReconnects.inc();
    }
    this.clearGrace();
    this.setWs('connected');
    this.setPolling(false);
    this.deps.log.info({ reconnect }, 'WebSocket connected');
  }

  private closed(): void {
    if (!this.leader || this.stopping) return;
    if (this.ws === 'connected') this.deps.log.warn('WebSocket closed: reconnecting');
    this.setWs('disconnected');
    if (!this.graceTimer && !this.polling) {
      this.graceTimer = setTimeout(() => {
        this.graceTimer = undefined;
        if (this.leader && this.ws !== 'connected') this.setPolling(true);
      }, this.opts.wsGraceMs);
    }
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  private async send(events: unknown[], meta: BatchMeta): Promise<void> {
    await this.deps.queues.enqueueEvents(events, 'websocket', meta);
    // only after the enqueue (nothing lost), but the next batch need not wait for the write
    this.offsetWriter.push(postOffsetsOf(events));
  }

  // ------------------------------------------------------------------ catch-up

  /** Runs a catch-up pass (coalescing requests) with WebSocket sends held back until it enqueued. */
  private requestCatchup(reason: 'start-up' | 'missed'): void {
    this.catchupWanted = true;
    if (this.catchupLoop) return;
    this.batcher.pause();
    let held = true;
    const release = () => {
      if (held) this.batcher.resume();
      held = false;
    };
    this.catchupLoop = (async () => {
      let attempt = 0;
      while (this.catchupWanted && this.leader && !this.stopping) {
        this.catchupWanted = false;
        this.catchingUp = true;
        this.publish();
        let report: CatchupReport | undefined;
        try {
          report = await runCatchup(
            {
              client: this.deps.client,
              watches: this.deps.watches,
              offsets: this.offsets,
              enqueue: (events, source) => this.deps.queues.enqueueEvents(events, source),
              log: this.deps.log,
            },
            { source: 'catchup', skewMs: this.opts.skewMs },
          );
          this.deps.log.info({ reason, ...report, failed: report.failed.length }, 'REST catch-up done');
        } catch (err) {
          this.deps.log.warn({ reason, err: (err as Error).message }, 'REST catch-up failed; retrying');
        }
        if (report && report.failed.length === 0) {
          attempt = 0;
          continue;
        }
        // Failed (Mattermost unreachable?): stop holding the WebSocket back, retry with backoff.
        release();
        if (++attempt > CATCHUP_RETRIES) {
          this.deps.log.error({ reason }, 'REST catch-up keeps failing; the next reconnect or poll retries it');
          break;
        }
        this.catchupWanted = true;
        await this.pause(Math.min(30_000, 500 * 2 ** attempt));
      }
      this.catchingUp = false;
      this.catchupLoop = undefined;
      release();
      this.publish();
    })();
  }

  private async pause(ms: number): Promise<void> {
    this.backoff = cancellableSleep(ms);
    await this.backoff.done;
    this.backoff = undefined;
  }

  // ------------------------------------------------------------------ stop

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const wasLeader = this.leader;
    await this.election.stop();
    await this.teardown;
    this.batcher.close();
    this.offsetWriter.close();
    if (wasLeader) {
      await this.deps.redis.del(this.deps.keys.ingestState).catch(() => undefined);
      await this.election.release();
    }
    if (this.ownsScheduler) await this.scheduler.close();
  }
}

/** Waits `ms` unless `cancel()` is called first. */
function cancellableSleep(ms: number): { done: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let wake = () => undefined as void;
  const done = new Promise<void>((resolve) => {
    wake = resolve;
    timer = setTimeout(resolve, ms);
  });
  return {
    done,
    cancel: () => {
      clearTimeout(timer);
      wake();
    },
  };
}

/** Resolves when `p` settles or after `ms`, whichever comes first. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  const s = cancellableSleep(ms);
  await Promise.race([p.catch(() => undefined), s.done]);
  s.cancel();
}

/** Starts the ingest role: this process stands by until it holds the lock, then ingests. */
export async function startIngest(deps: IngestDeps, options: IngestOptions): Promise<RunningIngest> {
  const ingest = new Ingest(deps, options);
  ingest.start();
  return ingest;
}
