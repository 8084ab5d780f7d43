/**
 * The fake Mattermost of the bench, in its own process as a real server would
 * be: the bench process then holds only the clients that measure, and the
 * fake's post store (every post of a run) and its collections stay out of it.
 * With the fake in the bench process, a third of the slow-post clusters at
 * 1,000 posts/s began with that process's old-generation collections (bench
 * notes, item 15).
 *
 * Seeds the bench channels on start and sends `ready` with what the scenarios
 * need (URL, the bot's token, alice, the channels). Posts as alice on request:
 * one (`post`), or round-robin over the bench channels at a fixed rate here
 * (`post-at-rate`), each post timed here when it is created — the moment the
 * latency is measured from — so no IPC message per post stands between.
 */
import { startFakeMattermost } from '../../test/fake-mattermost';
import { setUniqueTimestamps } from '../../test/fake-mattermost/ids';
import { nowMs } from '../lib/clock';
import { atRate } from '../lib/rate';
import { usage } from '../bridge/usage';
import { exitWhenOrphaned } from '../bridge/exit-when-orphaned';
import type { ChildMessage, MadePost, ParentMessage } from '../bridge/protocol';
import { BENCH_CHANNELS, READ_CHANNEL, READ_CHANNEL_POSTS } from './channels';

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const fake = await startFakeMattermost();
  fake.seed({
    channels: [
      ...Array.from({ length: BENCH_CHANNELS }, (_, i) => ({ name: `bench-${i}`, display_name: `Bench ${i}` })),
      { name: READ_CHANNEL, display_name: 'Bench read' },
    ],
  });
  const channels = Array.from({ length: BENCH_CHANNELS }, (_, i) => fake.channel(`bench-${i}`));
  const readChannel = fake.channel(READ_CHANNEL);
  for (let i = 0; i < READ_CHANNEL_POSTS; i++) {
    fake.post({ user: 'bob', channel: readChannel.id, message: `page post ${i}: hello` });
  }
  // From here on posts may share a millisecond, as on a real server (the fake's default
  // makes every timestamp unique, which caps it below 1,000 posts/s).
  setUniqueTimestamps(false);
  const post = (channel: number, message: string) =>
    String(fake.post({ user: 'alice', channel: channels[channel].id, message }).id);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= fake.stop());
  exitWhenOrphaned(stop);
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'post') {
      const at = nowMs();
      send({ type: 'posted', id: msg.id, post: [post(msg.channel, msg.message), msg.channel, at] });
    }
    if (msg.type === 'post-at-rate') {
      const posts: MadePost[] = [];
      const t0 = nowMs();
      void atRate(msg.rate, msg.durationMs, (i) => {
        const channel = i % channels.length;
        const at = nowMs();
        posts.push([post(channel, `${msg.label} ${i}`), channel, at]);
      }).then(() => send({ type: 'posted-at-rate', id: msg.id, posts, postingMs: nowMs() - t0 }));
    }
    if (msg.type === 'stop') void stop().finally(() => process.exit(0));
  });
  send({
    type: 'ready',
    url: fake.url,
    pid: process.pid,
    botUserId: fake.user('bridge-bot').id,
    stats: usage(),
    fake: { botToken: fake.token('bridge-bot'), alice: fake.user('alice'), channels, readChannel },
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
});
