/** What the bench's fake Mattermost is seeded with (bench/fake/main.ts). */

/** Channels the latency, throughput and fan-out scenarios post in. */
export const BENCH_CHANNELS = 10;
/** The channel read_channel reads: a fixed page of posts. */
export const READ_CHANNEL = 'bench-read';
export const READ_CHANNEL_POSTS = 30;
