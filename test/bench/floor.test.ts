/**
 * Keeps the floor experiment (bench/experiments/floor.ts) working: at a tiny
 * size, every post made in the fake comes through the bare-bones pipeline's
 * SSE stream, in both modes, and the bare BullMQ run beside it processes every
 * job. No timing is asserted.
 */
import { SOURCES } from '../../bench/lib/build';
import { startWorld, type BenchWorld } from '../../bench/lib/env';
import { measureFloor } from '../../bench/experiments/floor';

describe('floor experiment (tiny size)', () => {
  let world: BenchWorld;

  beforeAll(async () => {
    world = await startWorld(SOURCES);
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  test.each(['batch', 'per-event'] as const)(
    '%s: every post comes through, and every baseline job',
    async (mode) => {
      const r = await measureFloor(world, SOURCES, { rate: 200, mode, durationMs: 1000, warmupMs: 300 });
      expect(r.posted).toBe(200);
      expect(r.floor.missed).toBe(0);
      expect(r.floor.n).toBe(r.posted);
      expect(r.floor.p50).toBeGreaterThan(0);
      expect(r.floor.max).toBeGreaterThanOrEqual(r.floor.p99);
      expect(r.bareBullmq.missed).toBe(0);
      expect(r.bareBullmq.n).toBe(200);
      expect(r.p99Ratio).toBeGreaterThan(0);
    },
    90_000,
  );
});
