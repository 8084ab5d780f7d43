/** Resource usage of the current process, as the bench's children report it. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nowMs } from '../lib/clock';
import type { BridgeStats } from './protocol';

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

/** Usage now; the event-loop delay figures cover the time since the previous call. */
export function usage(): BridgeStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const stats: BridgeStats = {
    at: nowMs(),
    rss: mem.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: mem.heapUsed,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    loopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
  };
  loopDelay.reset();
  return stats;
}
