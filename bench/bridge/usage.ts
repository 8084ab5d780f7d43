/** Resource usage of the current process, as the bench's children report it. */
import { nowMs } from '../lib/clock';
import type { BridgeStats } from './protocol';

export function usage(): BridgeStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    at: nowMs(),
    rss: mem.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: mem.heapUsed,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
  };
}
