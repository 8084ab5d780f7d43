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
    /** The id of the newest entry trimmed from that stream (cursors before it are expired). */
    logTrimmed: (uri: string) => k('log', uri, 'trimmed'),
    dedup: (eventId: string) => k('dedup', eventId),
    /** Last seen update_at per channel, for REST catch-up. */
    channelOffsets: k('offsets', 'channels'),
    ingestLock: k('ingest', 'lock'),
    ingestState: k('ingest', 'state'),
    watches: k('watches'),
    watchesChanged: k('watches', 'changed'),
    presence: k('presence'),
    /** Hash commandId → token of the slash commands `install` registered (one per team). */
    slashTokens: k('slash', 'tokens'),
    /** Hash: what `install` created (bot user id, command ids per team), so a rerun or uninstall knows. */
    slashInstall: k('slash', 'install'),
    /** The answer of one queued slash command, or `deferred` once the HTTP reply said "working on it". */
    slashReply: (id: string) => k('slash', 'reply', id),
    /** Uses left of one response_url (Mattermost allows 5 within 30 minutes); keyed by the URL's hash. */
    slashResponseUrl: (urlHash: string) => k('slash', 'url', urlHash),
    /** Hash: one `/mcp ask` task (question, where to answer, state), kept as long as the event log. */
    commandTask: (requestId: string) => k('commands', requestId),
    /** Resumability: the standalone GET stream's events of one MCP session (a Redis stream). */
    mcpEvents: (sessionId: string) => k('mcp', 'events', sessionId),
    /** Resumability: events of the POST (request) streams of one MCP session. */
    mcpRequestEvents: (sessionId: string) => k('mcp', 'events', sessionId, 'req'),
    /** ZSET sessionId → last activity (ms) across every mcp instance. */
    mcpSessions: k('mcp', 'sessions'),
    /** One MCP session's record (key name, client info, owning instance), expiring when idle. */
    mcpSession: (sessionId: string) => k('mcp', 'session', sessionId),
    /** The URIs one MCP session subscribed to (a set), so another instance can adopt the session. */
    mcpSubscriptions: (sessionId: string) => k('mcp', 'subs', sessionId),
    /** Pub/sub channel where mcp instances hand sessions over to each other. */
    mcpControl: k('mcp', 'control'),
    rateLimit: k('ratelimit'),
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
