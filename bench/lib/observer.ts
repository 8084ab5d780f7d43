/**
 * Watches the bridge's event log from outside, as any reader would: a
 * blocking XREAD on the firehose stream, noting when each post.created record
 * becomes visible and its cursor (the append time, in Redis' clock).
 */
import type { Redis } from 'ioredis';
import { nowMs, wallToMono } from './clock';

export interface LogSighting {
  /** nowMs() when the observer read it. */
  seenAt: number;
  /** The cursor's time converted to nowMs() (ms resolution, floor of the append time). */
  appendedAt: number;
  cursor: string;
}

export class LogObserver {
  readonly byPost = new Map<string, LogSighting>();
  entries = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly conn: Redis,
    private readonly stream: string,
  ) {}

  /** Starts reading after the stream's current head. */
  async start(): Promise<void> {
    const head = await this.conn.xrevrange(this.stream, '+', '-', 'COUNT', 1);
    let last = head[0]?.[0] ?? '0-0';
    this.loop = (async () => {
      while (!this.stopped) {
        const res = await this.conn.xread('COUNT', 5000, 'BLOCK', 200, 'STREAMS', this.stream, last);
        const seenAt = nowMs();
        if (!res) continue;
        for (const [id, fields] of res[0][1]) {
          last = id;
          this.entries++;
          const postId = postIdOf(fields);
          if (postId) this.byPost.set(postId, { seenAt, appendedAt: wallToMono(Number(id.split('-')[0])), cursor: id });
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** The post id of a post.created entry (fields t, c, r = the record's JSON). */
function postIdOf(fields: string[]): string | undefined {
  let type = '';
  let record = '';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 't') type = fields[i + 1];
    else if (fields[i] === 'r') record = fields[i + 1];
  }
  if (type !== 'post.created') return undefined;
  try {
    return (JSON.parse(record) as { data?: { post?: { id?: string } } }).data?.post?.id;
  } catch {
    return undefined;
  }
}
