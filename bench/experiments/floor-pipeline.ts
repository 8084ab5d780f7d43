/**
 * The architecture's hops with nothing else: a bare-bones pipeline for
 * `bench/experiments/floor.ts`. It reads `posted` frames from the fake
 * Mattermost's WebSocket, adds them to a BullMQ queue, and a Worker
 * (concurrency 1, as a partition's) XADDs each job's posts to a stream and
 * writes their ids as one SSE event to every client of `GET /`. No
 * normalizing, de-duplication, trimming, MCP or metrics: what the bridge's
 * path costs on a machine when its code costs nothing.
 *
 * Config from the environment: FAKE_URL, TOKEN (the bot's), REDIS_URL,
 * BENCH_PREFIX, and FLOOR_MODE: `batch` (default; one add at a time, carrying
 * what arrived meanwhile, as the bridge's ingest does) or `per-event` (one
 * add per frame, as the bare BullMQ baseline does).
 */
import IORedis from 'ioredis';
import { Queue, Worker } from 'bullmq';
import WebSocket from 'ws';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { usage } from '../bridge/usage';
import { exitWhenOrphaned, stopThenExit } from '../bridge/exit-when-orphaned';
import type { ChildMessage, ParentMessage } from '../bridge/protocol';

interface Item {
  id: string;
  post: string;
}

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`floor pipeline: ${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const redisUrl = env('REDIS_URL');
  const prefix = env('BENCH_PREFIX');
  const token = env('TOKEN');
  const mode = process.env.FLOOR_MODE ?? 'batch';
  if (mode !== 'batch' && mode !== 'per-event') throw new Error(`floor pipeline: FLOOR_MODE ${mode}?`);
  const producer = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const consumer = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<{ items: Item[] }>('floor', { connection: producer, prefix });
  const clients = new Set<ServerResponse>();
  const stream = `${prefix}:floor-log`;

  const worker = new Worker<{ items: Item[] }>(
    'floor',
    async (job) => {
      const { items } = job.data;
      const multi = consumer.multi();
      for (const it of items) multi.xadd(stream, '*', 'r', it.post);
      await multi.exec();
      const event = `data: ${items.map((i) => i.id).join(',')}\n\n`;
      for (const c of clients) c.write(event);
    },
    { connection: consumer, prefix, concurrency: 1 },
  );
  worker.on('error', (err) => process.stderr.write(`floor worker error: ${err.message}\n`));
  await worker.waitUntilReady();

  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': open\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  // batch mode: one add in flight at a time, carrying what arrived while the previous one was
  let pending: Item[] = [];
  let adding = false;
  const flush = async (): Promise<void> => {
    if (adding || pending.length === 0) return;
    adding = true;
    const items = pending;
    pending = [];
    await queue.add('e', { items }, { removeOnComplete: true });
    adding = false;
    void flush();
  };

  const ws = new WebSocket(`${env('FAKE_URL').replace(/^http/, 'ws')}/api/v4/websocket`, {
    headers: { authorization: `Bearer ${token}` },
  });
  ws.on('message', (raw: WebSocket.RawData) => {
    const frame = JSON.parse(raw.toString()) as { event?: string; data?: { post?: string } };
    if (frame.event !== 'posted' || !frame.data?.post) return;
    const item = { id: (JSON.parse(frame.data.post) as { id: string }).id, post: frame.data.post };
    if (mode === 'per-event') void queue.add('e', { items: [item] }, { removeOnComplete: true });
    else {
      pending.push(item);
      void flush();
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } }));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ws.close();
      for (const c of clients) c.end();
      server.close();
      await worker.close();
      await queue.close();
      producer.disconnect();
      consumer.disconnect();
    })());
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'stop') stopThenExit(stop);
  });
  exitWhenOrphaned(stop);
  const { port } = server.address() as AddressInfo;
  send({ type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid, botUserId: '', stats: usage() });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  setTimeout(() => process.exit(1), 50);
});
