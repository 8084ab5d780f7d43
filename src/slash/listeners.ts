/**
 * Who is listening: the live MCP sessions, as src/mcp/sessions.ts records
 * them in Redis (a ZSET of last activity plus one expiring record per
 * session), so every instance counts the same agents.
 */
import type { BridgeServices } from '../app/services';

export interface LiveSession {
  id: string;
  keyName: string;
  client: string;
  owner: string;
  createdAt: string;
  /** ISO-8601 */
  lastActivity: string;
  subscriptions: string[];
}

type Services = Pick<BridgeServices, 'redis' | 'keys' | 'config'>;

async function liveIds(services: Services, now: number): Promise<{ id: string; at: number }[]> {
  const { redis, keys, config } = services;
  const raw = await redis.zrangebyscore(
    keys.mcpSessions,
    now - config.BRIDGE_SESSION_IDLE_TIMEOUT,
    '+inf',
    'WITHSCORES',
  );
  const out: { id: string; at: number }[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push({ id: raw[i], at: Number(raw[i + 1]) });
  return out;
}

/** Live sessions with their records (a session whose record expired is not live). */
export async function listLiveSessions(services: Services, now = Date.now()): Promise<LiveSession[]> {
  const ids = await liveIds(services, now);
  if (ids.length === 0) return [];
  const { redis, keys } = services;
  const pipe = redis.pipeline();
  for (const { id } of ids) pipe.get(keys.mcpSession(id)).smembers(keys.mcpSubscriptions(id));
  const results = (await pipe.exec()) ?? [];
  const sessions: LiveSession[] = [];
  ids.forEach(({ id, at }, i) => {
    const raw = results[i * 2]?.[1] as string | null;
    if (!raw) return;
    let rec: { keyName?: string; clientInfo?: { name?: string; version?: string }; owner?: string; createdAt?: string };
    try {
      rec = JSON.parse(raw);
    } catch {
      return;
    }
    sessions.push({
      id,
      keyName: rec.keyName ?? '?',
      client: rec.clientInfo ? `${rec.clientInfo.name ?? '?'} ${rec.clientInfo.version ?? ''}`.trim() : '?',
      owner: rec.owner ?? '?',
      createdAt: rec.createdAt ?? '',
      lastActivity: new Date(at).toISOString(),
      subscriptions: ((results[i * 2 + 1]?.[1] as string[] | null) ?? []).sort(),
    });
  });
  return sessions;
}

/** How many agents could pick up a task now. */
export async function countListeners(services: Services, now = Date.now()): Promise<number> {
  return (await listLiveSessions(services, now)).length;
}
