/**
 * Leader election of the ingest role: exactly one process per bot holds the
 * WebSocket. The lock is a Redis key with a TTL (keys.ingestLock) holding the
 * leader's random token:
 *   acquire  SET key token NX PX ttl
 *   renew    Lua: PEXPIRE if the key still holds our token; re-take it if it
 *            vanished (Redis restarted without persistence); else we lost it
 *   release  Lua: DEL only if the key still holds our token
 * The holder renews every ttl/3; a standby tries every ttl/3, so it takes over
 * at most about ttl + ttl/3 after the leader died (default 6 s → ~8 s).
 * Renewal errors (Redis unreachable) do not depose the leader: nobody else can
 * take the lock then either, and the answer once Redis is back settles it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';

const RENEW_LUA = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export class RedisLock {
  /** Random per holder: a restarted process never mistakes an old lease for its own. */
  readonly token: string;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly ttlMs: number,
    owner = 'ingest',
  ) {
    this.token = `${owner}:${randomBytes(9).toString('base64url')}`;
  }

  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** true while we hold it (re-taken if the key vanished); false once someone else does. */
  async renew(): Promise<boolean> {
    return Number(await this.redis.eval(RENEW_LUA, 1, this.key, this.token, this.ttlMs)) === 1;
  }

  async release(): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE_LUA, 1, this.key, this.token)) === 1;
  }

  /** The token of the current holder, if any. */
  holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

export interface LeaderElectionOptions {
  redis: Redis;
  key: string;
  ttlMs: number;
  /** Names the holder in the lock value and logs (e.g. host:pid). */
  owner?: string;
  log: Logger;
  /** Called when this process becomes the leader. Must not block for long: the lock is renewed meanwhile. */
  onElected: () => void;
  /** Called when this process lost the lock (another holds it) or stops. */
  onDeposed: (reason: 'lost' | 'stopped') => void;
  /** Called after every successful renewal (e.g. to refresh the published state). */
  onRenewed?: () => void;
}

export class LeaderElection {
  private readonly lock: RedisLock;
  private timer: NodeJS.Timeout | undefined;
  private leader = false;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();
  private lastError = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    this.lock = new RedisLock(options.redis, options.key, options.ttlMs, options.owner);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  get token(): string {
    return this.lock.token;
  }

  /** Tries at once, then every ttl/3. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.step().finally(() => this.schedule(Math.max(50, Math.floor(this.options.ttlMs / 3))));
    }, delay);
  }

  private async step(): Promise<void> {
    const { log } = this.options;
    try {
      if (this.leader) {
        if (await this.lock.renew()) {
          if (!this.stopped) this.options.onRenewed?.();
          return;
        }
        if (this.stopped || !this.leader) return;
        this.leader = false;
        log.warn({ lock: this.options.key }, 'ingest lock lost to another process: standing by');
        this.options.onDeposed('lost');
        return;
      }
      if (await this.lock.acquire()) {
        if (this.stopped) {
          await this.lock.release();
          return;
        }
        this.leader = true;
        log.info(
          { lock: this.options.key, owner: this.options.owner },
          'ingest lock acquired: this process is the active ingest',
        );
        this.options.onElected();
      }
    } catch (err) {
      // Redis unreachable: keep the current role; log at most every 10 s
      if (Date.now() - this.lastError > 10_000) {
        this.lastError = Date.now();
        log.warn({ err: (err as Error).message, leader: this.leader }, 'ingest lock: Redis error, retrying');
      }
    }
  }

  /** Stops renewing, gives the lock up (if held) and calls onDeposed('stopped'). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tick.catch(() => undefined);
    if (!this.leader) return;
    this.leader = false;
    this.options.onDeposed('stopped');
  }

  /** Releases the lock (after the caller finished its leader work), so a standby takes over at once. */
  async release(): Promise<void> {
    await this.lock.release().catch(() => undefined);
  }
}
