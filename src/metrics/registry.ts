/**
 * The process's Prometheus registry, served on /metrics. Each area defines its
 * metrics next to its code and registers them here.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'mmb_process_' });
