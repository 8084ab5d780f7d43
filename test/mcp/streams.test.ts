/**
 * wait_for_events over real HTTP: returns within 100 ms of a post, empty at
 * its deadline, and ends when the request is cancelled. Posts reach the log
 * through the pipeline's normalizer (see harness `ingestPost`).
 */
import type { McpHttpHandle } from '../../src/mcp/start';
import { registry } from '../../src/metrics/registry';
import type { FakeMattermost } from '../fake-mattermost';
import { testPrefix } from '../helpers/redis';
import {
  READ_KEY,
  connectClient,
  eventually,
  ingestPost,
  startMcpWithFake,
  type McpWithFake,
  type TestServices,
} from './harness';

type Events = {
  updates: { cursor: string; data: { post?: { message: string } } }[];
  next_cursor: string;
  timed_out: boolean;
};

async function waitsInFlight(): Promise<number> {
  const m = await registry.getSingleMetric('mmb_mcp_waits_in_flight')?.get();
  return m?.values[0]?.value ?? 0;
}

describe('wait_for_events', () => {
  const prefix = testPrefix('mcp-wait');
  let world: McpWithFake;
  let fake: FakeMattermost;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    world = await startMcpWithFake(prefix);
    ({ fake, services, mcp } = world);
    // warm the directory so the timed post below measures the bridge, not first lookups
    await ingestPost(services, fake, fake.post({ user: 'alice', channel: 'town-square', message: 'warm-up' }));
  });

  afterAll(async () => {
    await world.stop();
  });

  it('teaches the loop and gives a cursor to start from', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    const { tools } = await client.listTools();
    const wait = tools.find((t) => t.name === 'wait_for_events')!;
    expect(wait.description).toMatch(/next_cursor/);
    expect(wait.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(wait.outputSchema).toBeDefined();
    const first = await client.callTool({ name: 'get_events', arguments: {} });
    const s = first.structuredContent as Events;
    expect(s.updates.map((u) => u.data.post?.message)).toContain('warm-up');
    expect(s.next_cursor).toBe(s.updates[s.updates.length - 1].cursor);
    expect((first.content as { text: string }[])[0].text).toMatch(/next cursor: /);
    await client.close();
  });

  it('returns within 100 ms of a post being made', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    const start = await client.callTool({ name: 'get_events', arguments: { limit: 1 } });
    let cursor = (start.structuredContent as Events).next_cursor;
    // Up to three posts, each answered correctly; the fastest within 100 ms. A wake-up by the post
    // (not a poll or the 20 s deadline) shows in every attempt, while one starved by a loaded machine
    // (a CI neighbour) does not fail the test. Latency figures are the benchmark's (docs/benchmarks.md).
    const elapsed: number[] = [];
    for (let attempt = 0; attempt < 3 && !(Math.min(...elapsed) < 100); attempt++) {
      const waiting = client.callTool({ name: 'wait_for_events', arguments: { cursor, timeout_ms: 20_000 } });
      await eventually(async () => (await waitsInFlight()) === 1, 5000, 'the wait to start');
      const message = `ping for the waiter ${attempt}`;
      const postedAt = Date.now();
      await ingestPost(services, fake, fake.post({ user: 'bob', channel: 'town-square', message }));
      const result = await waiting;
      elapsed.push(Date.now() - postedAt);
      const s = result.structuredContent as Events;
      expect(s.timed_out).toBe(false);
      expect(s.updates.map((u) => u.data.post?.message)).toEqual([message]);
      expect(elapsed[elapsed.length - 1]).toBeLessThan(5_000);
      // continuing from next_cursor gives nothing twice
      const again = await client.callTool({ name: 'get_events', arguments: { cursor: s.next_cursor } });
      expect((again.structuredContent as Events).updates).toEqual([]);
      cursor = s.next_cursor;
    }
    expect(Math.min(...elapsed)).toBeLessThan(100);
    await client.close();
  });

  it('returns empty at its deadline when nothing happens', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    const started = Date.now();
    const result = await client.callTool({ name: 'wait_for_events', arguments: { timeout_ms: 400 } });
    const elapsed = Date.now() - started;
    const s = result.structuredContent as Events;
    expect(s.updates).toEqual([]);
    expect(s.timed_out).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(3000);
    expect((result.content as { text: string }[])[0].text).toMatch(/call wait_for_events again/);
    await client.close();
  });

  it('ends the wait when the request is cancelled', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    const ac = new AbortController();
    const waiting = client.callTool({ name: 'wait_for_events', arguments: { timeout_ms: 30_000 } }, undefined, {
      signal: ac.signal,
    });
    await eventually(async () => (await waitsInFlight()) === 1, 5000, 'the wait to start');
    ac.abort('no longer needed');
    await expect(waiting).rejects.toThrow();
    // the server stops waiting too (it does not sit out the 30 s)
    await eventually(async () => (await waitsInFlight()) === 0, 2000, 'the server-side wait to end');
    await client.close();
  });

  it('refuses bad cursors and limits with a validation error', async () => {
    const { client } = await connectClient(mcp.url, READ_KEY);
    for (const args of [{ cursor: 'yesterday' }, { limit: 1000 }, { timeout_ms: 90_000 }, { streams: ['http://x'] }]) {
      const r = await client.callTool({ name: 'wait_for_events', arguments: args });
      expect(r.isError).toBe(true);
      expect((r.structuredContent as { error: { category: string } }).error.category).toBe('validation');
    }
    await client.close();
  });
});
