/**
 * IPC messages between the bench and its child processes (the bridge, the bare BullMQ worker, the direct
 * caller, the fake Mattermost).
 */
import type { SeededChannel, SeededUser } from '../../test/fake-mattermost/seed';

export interface BridgeStats {
  /** nowMs() of the child when sampled. */
  at: number;
  rss: number;
  /** Peak RSS of the process so far (bytes). */
  maxRss: number;
  heapUsed: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Event-loop delay since the previous sample (monitorEventLoopDelay, 1 ms resolution). */
  loopDelayMs: { p50: number; p99: number; max: number };
}

export type ParentMessage =
  | { type: 'stats'; id: number }
  | { type: 'stop' }
  | { type: 'collect'; id: number }
  /** The bridge: its Prometheus metrics as JSON (prom-client getMetricsAsJSON). */
  | { type: 'metrics'; id: number }
  /** The bridge: write a V8 heap snapshot to this path (investigating memory). */
  | { type: 'heap-snapshot'; id: number; path: string }
  /** The bridge: start / stop a CPU profile of a window (written to `path` on stop). */
  | { type: 'profile'; id: number; action: 'start' }
  | { type: 'profile'; id: number; action: 'stop'; path: string }
  /** Bare BullMQ worker: report `drained` once this many more jobs were processed. */
  | { type: 'expect'; id: number; jobs: number }
  /** Direct caller (bench/direct/client.ts): one Client4 getPosts, timed there. */
  | { type: 'get-posts'; id: number; channel: string; limit: number }
  /** Fake Mattermost: one post by alice in bench channel number `channel`. */
  | { type: 'post'; id: number; channel: number; message: string }
  /** Fake Mattermost: posts by alice at `rate` per second, round-robin over the bench channels, `label i`. */
  | { type: 'post-at-rate'; id: number; rate: number; durationMs: number; label: string };

/** A post the bench's fake made: its id, the bench channel's number and nowMs() when it was created. */
export type MadePost = [id: string, channel: number, at: number];

/** What the bench's fake Mattermost was seeded with. */
export interface FakeWorld {
  botToken: string;
  alice: SeededUser;
  channels: SeededChannel[];
  readChannel: SeededChannel;
}

export type ChildMessage =
  /** The bridge sends its MCP URL and bot user id; the bare BullMQ worker leaves them empty. */
  | { type: 'ready'; url: string; pid: number; botUserId: string; stats: BridgeStats; fake?: FakeWorld }
  | { type: 'stats'; id: number; stats: BridgeStats }
  | { type: 'error'; message: string }
  | { type: 'stopped' }
  | { type: 'metrics'; id: number; metrics: unknown[] }
  | { type: 'heap-snapshot'; id: number; path: string }
  | { type: 'profile'; id: number; path?: string }
  /** Bare BullMQ worker: nowMs() at which each job started, by the job's sequence number. */
  | { type: 'collected'; id: number; started: [seq: number, at: number][]; processed: number }
  | { type: 'expecting'; id: number }
  /** Bare BullMQ worker: nowMs() at which the expected number of jobs had been processed. */
  | { type: 'drained'; at: number; processed: number }
  /** Direct caller: how long the getPosts took (ms) and how many posts came back. */
  | { type: 'got-posts'; id: number; ms: number; posts: number }
  | { type: 'posted'; id: number; post: MadePost }
  | { type: 'posted-at-rate'; id: number; posts: MadePost[]; postingMs: number };
