/**
 * One reader loop per process over the event log, dispatching in memory to
 * the sessions subscribed to each URI (brief §4.4). Also relays watch-list
 * changes (Redis pub/sub) and ticks `mattermost://stats` at most once a second.
 *
 * Sessions are behind the small `Subscriber` interface so another front end
 * (e.g. 2026-07-28's subscriptions/listen) can reuse the fan-out unchanged.
 */
import type { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import type { BridgeServices } from '../app/services';
import type { Logger } from '../logging/logger';
import { registry } from '../metrics/registry';
import type { ChannelPolicy } from '../policy/channel-policy';
import type { UpdateRecord } from '../updates/record';
import { URIS } from '../updates/uris';
import { updateVisible } from './policy';
import { resourceUrisOf } from './render';

export interface Subscriber {
  readonly id: string;
  readonly policy: ChannelPolicy;
  notify(uri: string): void;
}

const dispatched = new Counter({
  name: 'mmb_mcp_notifications_total',
  help: 'notifications/resources/updated queued for sessions',
  registers: [registry],
});
const updatesSeen = new Counter({
  name: 'mmb_mcp_fanout_updates_total',
  help: 'Updates the fan-out reader loop received from the event log',
  registers: [registry],
});
const subscriptionsGauge = new Gauge({
  name: 'mmb_mcp_subscriptions',
  help: 'Resource subscriptions held by sessions of this process',
  registers: [registry],
});

export type FanOutOptions = { statsIntervalMs?: number };

export class FanOut {
  private readonly index = new Map<string, Set<Subscriber>>();
  private readonly listeners = new Set<(u: UpdateRecord) => void>();
  private readonly watchListeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private sub?: Redis;
  private statsTimer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private count = 0;
  /** The last update dispatched: a restarted reader loop goes on from it, so an outage skips nothing. */
  private lastCursor?: string;

  constructor(
    private readonly services: BridgeServices,
    private readonly log: Logger,
    private readonly opts: FanOutOptions = {},
  ) {}

  async start(): Promise<void> {
    this.loop = this.readLoop();
    this.sub = this.services.redis.duplicate();
    this.sub.on('error', (err) => this.log.warn({ err }, 'watch-list subscriber connection error'));
    this.sub.on('message', () => {
      this.notifyAll(URIS.watches);
      for (const l of this.watchListeners) l();
    });
    await this.sub.subscribe(this.services.keys.watchesChanged);
    this.statsTimer = setInterval(() => this.notifyAll(URIS.stats), this.opts.statsIntervalMs ?? 1000);
    this.statsTimer.unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.loop?.catch(() => undefined);
    if (this.sub) {
      this.sub.disconnect();
      this.sub = undefined;
    }
  }

  get subscriptionCount(): number {
    return this.count;
  }

  subscribe(s: Subscriber, uri: string): void {
    let set = this.index.get(uri);
    if (!set) this.index.set(uri, (set = new Set()));
    if (!set.has(s)) {
      set.add(s);
      this.count++;
      subscriptionsGauge.set(this.count);
    }
  }

  unsubscribe(s: Subscriber, uri: string): void {
    const set = this.index.get(uri);
    if (set?.delete(s)) {
      this.count--;
      subscriptionsGauge.set(this.count);
      if (set.size === 0) this.index.delete(uri);
    }
  }

  /** Called on every watch-list change (the resource list shows watched channels). */
  onWatchesChanged(listener: () => void): () => void {
    this.watchListeners.add(listener);
    return () => this.watchListeners.delete(listener);
  }

  /** Every update the loop reads (used by tests and in-process waiters). */
  onUpdate(listener: (u: UpdateRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispatch(update: UpdateRecord): void {
    updatesSeen.inc();
    const uris = resourceUrisOf(update);
    for (const uri of uris) this.notifySubscribers(uri, update);
    // Whether a post is "for the bot" is the normalizer's decision, recorded only as membership
    // of the mentions stream: ask the log, and only while someone listens.
    if (update.type.startsWith('post.') && !uris.includes(URIS.mentions) && this.index.has(URIS.mentions)) {
      const key = this.services.keys.logStream(URIS.mentions);
      this.services.redis
        .xrange(key, update.cursor, update.cursor)
        .then((hit) => {
          if (hit.length) this.notifySubscribers(URIS.mentions, update);
        })
        .catch((err) => this.log.warn({ err }, 'could not check the mentions stream'));
    }
    for (const l of this.listeners) l(update);
  }

  private notifySubscribers(uri: string, update: UpdateRecord): void {
    const set = this.index.get(uri);
    if (!set) return;
    for (const s of set) {
      if (!updateVisible(s.policy, update)) continue;
      s.notify(uri);
      dispatched.inc();
    }
  }

  private notifyAll(uri: string): void {
    const set = this.index.get(uri);
    if (!set) return;
    for (const s of set) {
      s.notify(uri);
      dispatched.inc();
    }
  }

  private async readLoop(): Promise<void> {
    let backoff = 100;
    while (!this.abort.signal.aborted) {
      try {
        for await (const update of this.services.eventLog.tail(this.abort.signal, this.lastCursor)) {
          backoff = 100;
          this.lastCursor = update.cursor;
          try {
            this.dispatch(update);
          } catch (err) {
            this.log.error({ err, cursor: update.cursor }, 'fan-out dispatch failed');
          }
        }
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.log.warn({ err, retryInMs: backoff }, 'event log reader loop failed; restarting');
      }
      if (this.abort.signal.aborted) break;
      await new Promise((r) => setTimeout(r, backoff).unref());
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}
