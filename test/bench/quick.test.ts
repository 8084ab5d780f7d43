/**
 * Keeps the benchmark code from rotting: runs every scenario of `npm run
 * bench` at a tiny size (the `smoke` profile: real Redis, the fake Mattermost,
 * the bridge and the bare BullMQ worker in child processes, real MCP clients)
 * and checks that each produced complete, consistent figures. No timing is
 * asserted: the machine may be loaded.
 */
import { PROFILES, runBench, type BenchResults } from '../../bench/bench';
import { coverage } from '../../bench/lib/coverage';
import { summarize } from '../../bench/lib/stats';
import { renderMarkdown } from '../../bench/report/markdown';
import { latencyChartSvg } from '../../bench/report/svg';
import { resultsPath } from '../../bench/report/results-path';

const summaryShape = {
  n: expect.any(Number),
  p50: expect.any(Number),
  p95: expect.any(Number),
  p99: expect.any(Number),
  max: expect.any(Number),
  mean: expect.any(Number),
};

describe('bench smoke (every scenario, tiny sizes)', () => {
  let r: BenchResults;

  beforeAll(async () => {
    r = await runBench({ profile: PROFILES.smoke, tsx: true });
  }, 180_000);

  test('machine and settings are recorded', () => {
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.machine.cpuModel).not.toBe('');
    expect(r.machine.redis).toMatch(/^\d+\.\d+/);
    expect(r.profile).toBe('smoke');
    expect(r.machine.stalls?.start.ms).toBe(PROFILES.smoke.stallProbeMs);
    expect(r.machine.stalls?.end?.threads).toBe(r.machine.cpus);
  });

  test('latency: every post reaches the log, the subscriber and wait_for_events; the baseline processes every job', () => {
    expect(r.latency).toHaveLength(PROFILES.smoke.rates.length);
    for (const l of r.latency!) {
      expect(l.bridge.inLog).toEqual(summaryShape);
      expect(l.bridge.inLog.n).toBe(l.bridge.posted);
      expect(l.bridge.notification.missed).toBe(0);
      expect(l.bridge.notification.n).toBe(l.bridge.posted);
      expect(l.bridge.waitForEvents.missed).toBe(0);
      expect(l.bridge.waitForEvents.n).toBe(l.bridge.posted);
      expect(l.bridge.inLog.p50).toBeGreaterThan(0);
      expect(l.baseline.errors).toBe(0);
      expect(l.baseline.processed.missed).toBe(0);
      expect(l.baseline.processed.n).toBe(l.baseline.added);
    }
  });

  test('throughput: both drains count every event', () => {
    expect(r.throughput!.bridge.events).toBe(PROFILES.smoke.burst);
    expect(r.throughput!.bridge.perSecond).toBeGreaterThan(0);
    expect(r.throughput!.baseline.perSecond).toBeGreaterThan(0);
    expect(r.throughput!.ratio).toBeGreaterThan(0);
  });

  test('fan-out: every session hears of every post of its channel; the bridge process is measured', () => {
    const f = r.fanout!;
    expect(f.expected).toBeGreaterThan(0);
    expect(f.delivered).toBe(f.expected);
    expect(f.latency.n).toBe(f.delivered);
    expect(f.bridge.rssPeakMB).toBeGreaterThan(10);
    expect(f.bridge.cpuPct).toBeGreaterThan(0);
  });

  test('tool overhead and polling are computed from real calls', () => {
    expect(r.tools!.mcp.n).toBe(PROFILES.smoke.toolCalls);
    expect(r.tools!.direct.n).toBe(PROFILES.smoke.toolCalls);
    expect(r.tools).not.toHaveProperty('mcpSamples');
    expect(r.polling).toHaveLength(PROFILES.smoke.pollIntervalsMs.length);
    const p = r.polling![0];
    // waiting for the next poll is uniform over the interval, so the median is about half of it
    expect(p.discover.p50).toBeGreaterThan(p.intervalMs * 0.4);
    expect(p.discover.p50).toBeLessThan(p.intervalMs * 0.6 + r.tools!.mcp.max);
  });

  test('targets, markdown and chart render from the results', () => {
    expect(r.targets.map((t) => t.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/sustained/), expect.stringMatching(/delivered/)]),
    );
    const md = renderMarkdown(r, { resultsFile: 'bench/results/smoke.json', chartFile: 'chart.svg' });
    expect(md).toMatch(/- Machine stalls: \d+ busy threads .* before the run .*; after it /);
    for (const heading of ['## 1. Latency', '## 2. Throughput', '## 3. Fan-out', '## 4. Tool overhead', '## 5.']) {
      expect(md).toContain(heading);
    }
    const svg = latencyChartSvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('bare BullMQ');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('bench measurement helpers', () => {
  test('coverage: a post is delivered by the first notification after its append; none after it → missed', () => {
    const posts = [
      { sentAt: 0, appendedAt: 2 },
      { sentAt: 5, appendedAt: 6 },
      { sentAt: 20, appendedAt: 21 },
    ];
    const { latencies, missed } = coverage(posts, [1, 7, 3]);
    expect(latencies).toEqual([3, 2]);
    expect(missed).toBe(1);
  });

  test('summarize: nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect([s.p50, s.p95, s.p99, s.max, s.n]).toEqual([50, 95, 99, 100, 100]);
  });

  test("resultsPath: only a full run of everything writes the day's file", () => {
    const at = (profile: BenchResults['profile'], partial?: BenchResults['partial']) =>
      resultsPath({ date: '2026-12-06T12:00:00.000Z', profile, partial } as BenchResults, '/r');
    expect(at('full')).toBe('/r/2026-12-06.json');
    expect(at('full', { only: ['tools'] })).toBe('/r/partial-2026-12-06.json');
    expect(at('full', { rates: [1000] })).toBe('/r/partial-2026-12-06.json');
    expect(at('quick')).toBe('/r/quick-2026-12-06.json');
    expect(at('quick', { only: ['fanout'] })).toBe('/r/quick-partial-2026-12-06.json');
  });
});
