/** `/mcp status`: the bridge's health in Mattermost Markdown, from Redis only (fast, same on every instance). */
import { collectBridgeStats } from '../../mcp/stats';
import type { SlashEnv } from '../context';
import { countListeners } from '../listeners';
import { ephemeral, type CommandResponse } from '../response';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function ago(ms: number | null): string {
  if (ms === null) return 'no updates yet';
  if (ms < 1000) return `newest ${ms} ms ago`;
  if (ms < 120_000) return `newest ${Math.round(ms / 1000)} s ago`;
  return `newest ${Math.round(ms / 60_000)} min ago`;
}

/** The ingest's WebSocket state and the event queues, as collectBridgeStats reads them from Redis. */
function split(pipeline: Record<string, string>): { websocket: string; queues: string } {
  const { websocket, catching_up, polling, reconnects, ...queues } = pipeline;
  const extras = [
    catching_up === 'true' && 'catching up over REST',
    polling === 'true' && 'REST polling on',
    reconnects && `${reconnects} reconnects`,
  ].filter(Boolean);
  return {
    websocket: [websocket ?? 'unknown', ...extras].join('; '),
    queues: Object.entries(queues)
      .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`)
      .join(', '),
  };
}

export async function runStatus(env: SlashEnv): Promise<CommandResponse> {
  const { services } = env;
  const [stats, listeners, watches, queue] = await Promise.all([
    collectBridgeStats(services),
    countListeners(services),
    services.watches.list(),
    env.followups.depth?.() ?? Promise.resolve(undefined),
  ]);
  const pipeline = split(stats.pipeline);
  const watched = watches.length
    ? watches
        .slice(0, 20)
        .map((w) => `~${w.channelName}`)
        .join(', ') + (watches.length > 20 ? ` and ${watches.length - 20} more` : '')
    : 'none listed: every channel of the bot is streamed';
  const rows: [string, string][] = [
    ['WebSocket', pipeline.websocket],
    [
      'Event log',
      `${stats.log.entries} updates, ${stats.log.updatesLastMinute} in the last minute, ${ago(stats.log.lagMs)}`,
    ],
    [
      'Agents',
      listeners === 0 ? 'no MCP session connected' : `${listeners} MCP session${listeners === 1 ? '' : 's'} connected`,
    ],
    ['Watched channels', watched],
    ['Pipeline', pipeline.queues],
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
