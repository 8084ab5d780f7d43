/** The bench's fake Mattermost, in its own process (bench/fake/main.ts), and how the scenarios post through it. */
import type { BridgeStats, ChildMessage, FakeWorld, MadePost } from '../bridge/protocol';
import { childScript, type ChildBuild } from './build';
import { BenchChild } from './child';

type FakeReady = Extract<ChildMessage, { type: 'ready' }>;

export interface BenchFake extends FakeWorld {
  /** `http://127.0.0.1:N`. */
  url: string;
  /** One post by alice in bench channel number `channel`. */
  post(channel: number, message: string): Promise<MadePost>;
  /** Posts by alice at `rate` per second for `durationMs`, round-robin over the bench channels. */
  postAtRate(rate: number, durationMs: number, label: string): Promise<{ posts: MadePost[]; postingMs: number }>;
  stats(): Promise<BridgeStats>;
  stop(): Promise<void>;
}

export async function startFake(build: ChildBuild): Promise<BenchFake> {
  const script = childScript(build, 'bench/fake/main');
  const child = await BenchChild.start<FakeReady>(script.script, {
    env: script.env,
    compiled: script.compiled,
    readyTimeoutMs: 60_000,
  });
  const world = child.ready.fake;
  if (!world) throw new Error('the fake Mattermost child did not say what it was seeded with');
  return {
    ...world,
    url: child.ready.url,
    async post(channel, message) {
      const m = await child.request<Extract<ChildMessage, { type: 'posted' }>>({
        type: 'post',
        id: 0,
        channel,
        message,
      });
      return m.post;
    },
    async postAtRate(rate, durationMs, label) {
      const m = await child.request<Extract<ChildMessage, { type: 'posted-at-rate' }>>(
        { type: 'post-at-rate', id: 0, rate, durationMs, label },
        durationMs + 30_000,
      );
      return { posts: m.posts, postingMs: m.postingMs };
    },
    stats: () => child.stats(),
    stop: () => child.stop(),
  };
}
