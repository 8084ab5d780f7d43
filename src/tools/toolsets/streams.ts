/**
 * The `streams` toolset: how agents receive Mattermost events. Most MCP
 * clients never act on resource notifications, so these tools carry the
 * live stream: get a cursor, wait for updates after it, act, continue from
 * the cursor returned. Every read is filtered by the session's channel policy.
 */
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { registry } from '../../metrics/registry';
import { UPDATE_TYPES, type UpdateRecord } from '../../updates/record';
import { parseUri } from '../../updates/uris';
import type { ReadResult } from '../../eventlog/types';
import { collectBridgeStats, renderStats } from '../../mcp/stats';
import { renderUpdates } from '../../mcp/render';
import { updateVisible } from '../../mcp/policy';
import { resourceAllowed } from '../../mcp/resources';
import type { WatchEntry } from '../../watches/types';
import { WatchRefusedError } from '../../watches/redis-watch-list';
import { defineTool, ToolError } from '../define';
import type { ToolContext } from '../context';
import { channelParam, mmTool, resolveChannel } from './common';

const MAX_LIMIT = 100;

export const waitsInFlight = new Gauge({
  name: 'mmb_mcp_waits_in_flight',
  help: 'wait_for_events calls currently waiting',
  registers: [registry],
});
const DEFAULT_WAIT_MS = 25_000;
/** Longest single blocking read inside wait_for_events, so progress can be reported in between. */
const WAIT_SLICE_MS = 10_000;

const cursor = z
  .string()
  .trim()
  .regex(/^\d{1,20}(-\d{1,20})?$/, 'must be a cursor such as 1763683200000-0, taken from a previous result')
  .describe('Cursor from a previous result (next_cursor). Updates strictly after it are returned.');

const streamUri = z
  .string()
  .max(200)
  .refine((u) => parseUri(u) !== undefined, {
    message:
      'must be a resource URI such as mattermost://events, mattermost://mentions or mattermost://channels/<channel id>/posts',
  });

const filterShape = {
  streams: z
    .array(streamUri)
    .max(20)
    .optional()
    .describe(
      'Resource streams to read, e.g. ["mattermost://mentions"], ["mattermost://commands"] or ["mattermost://channels/<channel id>/posts"]. Default: every event (mattermost://events).',
    ),
  types: z
    .array(z.enum(UPDATE_TYPES))
    .max(UPDATE_TYPES.length)
    .optional()
    .describe('Only these update types, e.g. ["post.created"]. Default: all.'),
  channels: z.array(channelParam).max(50).optional().describe('Only updates in these channels. Default: all.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}; continue from next_cursor for more`)
    .default(20)
    .describe(`Most updates to return (1-${MAX_LIMIT}, default 20).`),
};

const updateOut = z.object({
  cursor: z.string(),
  eventId: z.string(),
  type: z.enum(UPDATE_TYPES),
  uri: z.string(),
  at: z.string(),
  teamId: z.string().optional(),
  channelId: z.string().optional(),
  userId: z.string().optional(),
  data: z.record(z.unknown()),
});

const eventsOutput = {
  updates: z.array(updateOut).describe('Oldest first; each has its own cursor.'),
  next_cursor: z.string().describe('Pass this as cursor to the next get_events / wait_for_events call.'),
  count: z.number().int(),
};

type FilterArgs = {
  streams?: string[];
  types?: (typeof UPDATE_TYPES)[number][];
  channels?: string[];
  limit: number;
};

/** Resolves channel references and refuses what the key's policy does not allow. */
async function eventFilter(ctx: ToolContext, args: FilterArgs) {
  const channels: string[] = [];
  for (const raw of args.channels ?? []) channels.push((await resolveChannel(ctx, raw, { guard: true })).channel.id);
  for (const uri of args.streams ?? []) {
    const parsed = parseUri(uri)!;
    if (!(await resourceAllowed(ctx.services, ctx.session, parsed))) {
      throw new ToolError('forbidden', `${uri} is off limits for this API key (channel policy); call list_channels`);
    }
  }
  return {
    streams: args.streams,
    types: args.types,
    channels: channels.length ? channels : undefined,
    limit: args.limit,
    accept: (u: UpdateRecord) => updateVisible(ctx.session.policy, u),
  };
}

function eventsResult(r: ReadResult, empty: string, extra = '') {
  return {
    structured: { updates: r.updates, next_cursor: r.nextCursor, count: r.updates.length },
    text: renderUpdates(r.updates, r.nextCursor, empty) + extra,
  };
}

export const getEvents = defineTool({
  name: 'get_events',
  toolset: 'streams',
  scope: 'read',
  description: `Read Mattermost updates (new/edited/deleted posts, reactions, mentions, /mcp ask tasks, presence, channel changes) from the bridge's event log.
Start here: call it without cursor to get the most recent updates and a next_cursor. Then loop: call wait_for_events with that cursor (it returns as soon as something new happens), act on what you got, and continue with the next_cursor it returns. With a cursor, get_events returns the updates after it at once (no waiting), oldest first — use it to catch up after a pause.
Filter with streams (e.g. ["mattermost://mentions"] for posts mentioning the bot and DMs, ["mattermost://commands"] for /mcp ask tasks), types and channels (id, ~name or team:name). If a cursor expired, restart from the cursor the error names.`,
  input: { cursor: cursor.optional(), ...filterShape },
  output: eventsOutput,
  annotations: {
    title: 'Get events',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  handler: async (args, ctx: ToolContext) => {
    const filter = await eventFilter(ctx, args);
    const r = await ctx.services.eventLog.read({ ...filter, after: args.cursor });
    return eventsResult(r, args.cursor ? 'no new updates since this cursor' : 'the event log is empty');
  },
});

/**
 * Waits in slices of at most WAIT_SLICE_MS so progress can be reported in
 * between (clients that set resetTimeoutOnProgress then never time out).
 */
async function waitInSlices(
  ctx: ToolContext,
  filter: Awaited<ReturnType<typeof eventFilter>>,
  after: string,
  total: number,
): Promise<ReadResult> {
  const started = Date.now();
  const deadline = started + total;
  for (;;) {
    const r = await ctx.services.eventLog.waitFor({
      ...filter,
      after,
      timeoutMs: Math.max(0, Math.min(deadline - Date.now(), WAIT_SLICE_MS)),
      signal: ctx.signal,
    });
    after = r.nextCursor;
    if (r.updates.length || ctx.signal.aborted || Date.now() >= deadline) return r;
    await ctx.progress(Date.now() - started, total, 'waiting for Mattermost updates');
  }
}

export const waitForEvents = defineTool({
  name: 'wait_for_events',
  toolset: 'streams',
  scope: 'read',
  description: `Wait for the next Mattermost updates after a cursor (long poll). Returns as soon as at least one matching update exists, or with no updates when timeout_ms passes — then simply call it again with the same next_cursor.
This is how you follow Mattermost live: 1) get a cursor (get_events, or the next_cursor of your last call), 2) call wait_for_events with it, 3) act on the updates (e.g. reply with create_post and root_id, answer /mcp ask tasks with respond_to_command), 4) call wait_for_events again with the next_cursor it returned. Never reuse an older cursor, or you will see updates twice.
Without cursor it waits for updates after now. Same filters as get_events (streams, types, channels, limit). timeout_ms is capped by the server (BRIDGE_WAIT_MAX, below 60 s); cancelling the request ends the wait.`,
  input: {
    cursor: cursor.optional(),
    ...filterShape,
    timeout_ms: z
      .number()
      .int()
      .min(0)
      .max(55_000, 'must be at most 55000 (the server caps it further)')
      .optional()
      .describe(`How long to wait at most, in ms (default ${DEFAULT_WAIT_MS}, capped by the server below 60 s).`),
  },
  output: { ...eventsOutput, timed_out: z.boolean().describe('True when the wait ended with no update.') },
  annotations: {
    title: 'Wait for events',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  handler: async (args, ctx: ToolContext) => {
    const filter = await eventFilter(ctx, args);
    const cap = ctx.services.config.BRIDGE_WAIT_MAX;
    const total = Math.min(args.timeout_ms ?? DEFAULT_WAIT_MS, cap);
    const after = args.cursor ?? (await ctx.services.eventLog.head());
    waitsInFlight.inc();
    let r: ReadResult;
    try {
      r = await waitInSlices(ctx, filter, after, total);
    } finally {
      waitsInFlight.dec();
    }
    if (ctx.signal.aborted && !r.updates.length) throw new ToolError('unavailable', 'the wait was cancelled');
    const timedOut = r.updates.length === 0;
    const res = eventsResult(
      r,
      `no updates within ${total} ms`,
      timedOut ? '\nnothing happened yet: call wait_for_events again with this next_cursor' : '',
    );
    return { structured: { ...res.structured, timed_out: timedOut }, text: res.text };
  },
});

const watchOut = z.object({
  channel_id: z.string(),
  channel: z.string().describe('~name'),
  team_id: z.string(),
  added_by: z.string(),
  added_at: z.string().describe('ISO-8601'),
});

function watchView(w: WatchEntry): z.infer<typeof watchOut> {
  return {
    channel_id: w.channelId,
    channel: `~${w.channelName}`,
    team_id: w.teamId,
    added_by: w.addedBy,
    added_at: w.addedAt,
  };
}

async function visibleWatches(ctx: ToolContext): Promise<WatchEntry[]> {
  const all = await ctx.services.watches.list();
  const out: WatchEntry[] = [];
  for (const w of all) {
    if (await resourceAllowed(ctx.services, ctx.session, { kind: 'channelPosts', channelId: w.channelId })) out.push(w);
  }
  return out;
}

const watchesOutput = {
  watches: z.array(watchOut),
  all_channels: z.boolean().describe('True when the watch list is empty: every channel of the bot is streamed.'),
};

function watchesText(watches: WatchEntry[], allChannels: boolean): string {
  if (allChannels) return 'no watch list: the bridge streams every channel the bot is a member of';
  return [
    'watched channels:',
    ...watches.map((w) => `- ~${w.channelName} (${w.channelId}) added by ${w.addedBy} at ${w.addedAt}`),
  ].join('\n');
}

export const watchChannel = mmTool({
  name: 'watch_channel',
  toolset: 'streams',
  scope: 'write',
  description: `Add a channel to the bridge's watch list (the same list people edit with /mcp watch). With a watch list, only watched channels are streamed into events; with none, every channel of the bot is. Give the channel as id, ~name or team:name. Watching an already watched channel changes nothing.`,
  input: { channel: channelParam },
  output: { added: z.boolean().describe('False when it was already watched.'), watch: watchOut },
  annotations: {
    title: 'Watch a channel',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const { channel, label } = await resolveChannel(ctx, args.channel, { guard: true });
    const addedBy = `mcp:${ctx.session.keyName}`;
    let added: boolean;
    try {
      added = await ctx.services.watches.add({
        channelId: channel.id,
        channelName: channel.name,
        teamId: channel.team_id,
        addedBy,
      });
    } catch (err) {
      if (err instanceof WatchRefusedError) throw new ToolError('forbidden', err.message);
      throw err;
    }
    const entry = (await ctx.services.watches.list()).find((w) => w.channelId === channel.id) ?? {
      channelId: channel.id,
      channelName: channel.name,
      teamId: channel.team_id,
      addedBy,
      addedAt: new Date().toISOString(),
    };
    return {
      structured: { added, watch: watchView(entry) },
      text: added ? `now watching ${label}` : `${label} was already watched`,
    };
  },
});

export const unwatchChannel = mmTool({
  name: 'unwatch_channel',
  toolset: 'streams',
  scope: 'write',
  description: `Remove a channel from the bridge's watch list (like /mcp unwatch). Careful: when the last channel is removed the list is empty again, and then every channel of the bot is streamed. Give the channel as id, ~name or team:name.`,
  input: { channel: channelParam },
  output: {
    removed: z.boolean().describe('False when it was not watched.'),
    all_channels: z.boolean().describe('True when the list is now empty (every channel is streamed).'),
  },
  annotations: {
    title: 'Unwatch a channel',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const { channel, label } = await resolveChannel(ctx, args.channel, { guard: true });
    const removed = await ctx.services.watches.remove(channel.id);
    const allChannels = (await ctx.services.watches.list()).length === 0;
    const tail = allChannels ? '; the watch list is now empty, so every channel of the bot is streamed' : '';
    return {
      structured: { removed, all_channels: allChannels },
      text: `${removed ? `stopped watching ${label}` : `${label} was not watched`}${tail}`,
    };
  },
});

export const listWatches = defineTool({
  name: 'list_watches',
  toolset: 'streams',
  scope: 'read',
  description:
    'List the channels the bridge streams (its watch list, edited by watch_channel and /mcp watch). An empty list means every channel the bot is a member of is streamed.',
  input: {},
  output: watchesOutput,
  annotations: {
    title: 'List watched channels',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (_args, ctx: ToolContext) => {
    const allChannels = (await ctx.services.watches.list()).length === 0;
    const watches = await visibleWatches(ctx);
    return {
      structured: { watches: watches.map(watchView), all_channels: allChannels },
      text: watchesText(watches, allChannels),
    };
  },
});

export const getBridgeStats = defineTool({
  name: 'get_bridge_stats',
  toolset: 'streams',
  scope: 'read',
  description:
    "Live bridge stats: connected MCP sessions, event log size, updates in the last minute, how long ago the newest update arrived, watched channels and the pipeline's counters. Use it to check the bridge is healthy when no events arrive.",
  input: {},
  output: {
    at: z.string(),
    sessions: z.number().int(),
    log: z.object({
      headCursor: z.string(),
      lagMs: z.number().nullable(),
      entries: z.number().int(),
      updatesLastMinute: z.number().int(),
    }),
    watches: z.number().int(),
    pipeline: z.record(z.string()),
  },
  annotations: {
    title: 'Bridge stats',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handler: async (_args, ctx: ToolContext) => {
    const stats = await collectBridgeStats(ctx.services);
    return { structured: stats, text: renderStats(stats) };
  },
});

export const streamsTools = [getEvents, waitForEvents, watchChannel, unwatchChannel, listWatches, getBridgeStats];
