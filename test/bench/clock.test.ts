import { monoToWall, nowMs, wallToMono } from '../../bench/lib/clock';

describe('bench clock: wall-clock milliseconds (Redis stream ids) on the monotonic clock', () => {
  it('puts a whole wall millisecond at or before the moment it was read, by less than 1 ms', () => {
    // Date.now() = W means the wall clock is in [W, W + 1): its monotonic time is at most the read's
    for (let i = 0; i < 2000; i++) {
      const before = nowMs();
      const wall = Date.now();
      const after = nowMs();
      const mono = wallToMono(wall);
      expect(mono).toBeLessThanOrEqual(after + 0.05);
      expect(mono).toBeGreaterThan(before - 1.05);
    }
  });

  it('converts back', () => {
    const t = nowMs();
    expect(wallToMono(monoToWall(t))).toBeCloseTo(t, 2);
  });
});
