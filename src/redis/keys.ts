/**
 * Every Redis key the bridge uses, built from BRIDGE_REDIS_PREFIX in one place
 * (on Redis Cluster use a `{hash-tag}` prefix so multi-key scripts share a slot).
 */
export function redisKeys(prefix: string) {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    prefix,
    /** BullMQ's own prefix for queues. */
    bullPrefix: k('bull'),
    /** Event log: the firehose stream and one stream per resource URI. */
    logStream: (uri: string) => k('log', uri),
    dedup: (eventId: string) => k('dedup', eventId),
    /** Last seen update_at per channel, for REST catch-up. */
    channelOffsets: k('offsets', 'channels'),
    ingestLock: k('ingest', 'lock'),
    ingestState: k('ingest', 'state'),
    watches: k('watches'),
    watchesChanged: k('watches', 'changed'),
    presence: k('presence'),
    slashTokens: k('slash', 'tokens'),
    commandTask: (requestId: string) => k('commands', requestId),
    mcpEvents: (sessionId: string) => k('mcp', 'events', sessionId),
    mcpSessions: k('mcp', 'sessions'),
    rateLimit: k('ratelimit'),
    stats: k('stats'),
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
