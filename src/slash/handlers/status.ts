/** `/mcp status`: the bridge's health in Mattermost Markdown, from Redis only (fast, same on every instance). */
import type { Redis } from 'ioredis';
import { collectBridgeStats } from '../../mcp/stats';
import type { SlashEnv } from '../context';
import { countListeners } from '../listeners';
import { ephemeral, type CommandResponse } from '../response';

/** The ingest role's published state (a hash, or a JSON string), whatever its shape; {} when absent. */
async function ingestState(redis: Redis, key: string): Promise<Record<string, string>> {
  const type = await redis.type(key);
  if (type === 'hash') return redis.hgetall(key);
  if (type === 'string') {
    const raw = (await redis.get(key)) ?? '';
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object') {
        return Object.fromEntries(
          Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        );
      }
    } catch {
      /* a plain string */
    }
    return { state: raw };
  }
  return {};
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function ago(ms: number | null): string {
  if (ms === null) return 'no updates yet';
  if (ms < 1000) return `newest ${ms} ms ago`;
  if (ms < 120_000) return `newest ${Math.round(ms / 1000)} s ago`;
  return `newest ${Math.round(ms / 60_000)} min ago`;
}

function websocketLine(state: Record<string, string>): string {
  if (Object.keys(state).length === 0) return 'unknown (no ingest has reported yet)';
  const main = state.websocket ?? state.state ?? state.status;
  const rest = Object.entries(state)
    .filter(([k]) => !['websocket', 'state', 'status'].includes(k))
    .map(([k, v]) => `${k}: ${v}`);
  return [main, ...rest].filter(Boolean).join('; ');
}

export async function runStatus(env: SlashEnv): Promise<CommandResponse> {
  const { services } = env;
  const [stats, ingest, listeners, watches, queue] = await Promise.all([
    collectBridgeStats(services),
    ingestState(services.redis, services.keys.ingestState),
    countListeners(services),
    services.watches.list(),
    env.followups.depth?.() ?? Promise.resolve(undefined),
  ]);
  const pipeline = Object.entries(stats.pipeline).map(([k, v]) => `${k}: ${v}`);
  const watched = watches.length
    ? watches
        .slice(0, 20)
        .map((w) => `~${w.channelName}`)
        .join(', ') + (watches.length > 20 ? ` and ${watches.length - 20} more` : '')
    : 'none listed: every channel of the bot is streamed';
  const rows: [string, string][] = [
    ['WebSocket', websocketLine(ingest)],
    [
      'Event log',
      `${stats.log.entries} updates, ${stats.log.updatesLastMinute} in the last minute, ${ago(stats.log.lagMs)}`,
    ],
    [
      'Agents',
      listeners === 0 ? 'no MCP session connected' : `${listeners} MCP session${listeners === 1 ? '' : 's'} connected`,
    ],
    ['Watched channels', watched],
    ['Pipeline', pipeline.length ? pipeline.join(', ') : 'no counters published yet'],
  ];
  if (queue)
    rows.push([
      'Slash queue',
      Object.entries(queue)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    ]);
  return ephemeral(
    ['#### MCP bridge status', '| | |', '|:--|:--|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)].join('\n'),
  );
}
