/**
 * The resources of brief §4.4 on one session's server: list, templates with
 * completion, read (JSON with each update's cursor plus a readable text
 * rendering), all filtered by the session's channel policy.
 *
 * `resources/read` accepts `?after=<cursor>&limit=<n>` after any log-backed
 * URI, so a client can page through a stream with the cursors it was given.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import type { BridgeServices } from '../app/services';
import type { SessionInfo } from '../tools/context';
import { parseUri, URIS, URI_TEMPLATES, type ParsedUri } from '../updates/uris';
import type { UpdateRecord } from '../updates/record';
import { renderUpdates } from './render';
import { collectBridgeStats, renderStats } from './stats';
import { updateVisible } from './policy';
import type { ChannelRef } from '../policy/types';
import type { WatchEntry } from '../watches/types';

/** Resource-not-found as the 2025-11-25 spec numbers it. */
export const RESOURCE_NOT_FOUND = -32002;
const DEFAULT_READ_LIMIT = 50;
const MAX_READ_LIMIT = 200;
const MAX_COMPLETIONS = 100;

const FIXED: Resource[] = [
  {
    uri: URIS.events,
    name: 'events',
    title: 'All bridge events',
    description: 'The latest updates of every kind, each with its cursor. Updated on every update.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.newChannelPosts,
    name: 'new_channel_posts',
    title: 'New posts in watched channels',
    description: 'The latest new posts across watched channels. Updated on each new post.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.reactions,
    name: 'reactions',
    title: 'Reaction changes',
    description: 'The latest reactions added or removed. Updated on each.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.mentions,
    name: 'mentions',
    title: 'Mentions of the bot and DMs to it',
    description: 'Posts that mention the bot, and direct messages to it. Updated on each.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.commands,
    name: 'commands',
    title: 'Slash-command inbox',
    description: '`/mcp ask` tasks from people (open and answered). Answer with respond_to_command.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.watches,
    name: 'watches',
    title: 'Watched channels',
    description: 'The channels the bridge streams (empty: every channel of the bot). Updated on change.',
    mimeType: 'application/json',
  },
  {
    uri: URIS.stats,
    name: 'stats',
    title: 'Bridge stats',
    description:
      'Live bridge stats: sessions, event log size and lag, pipeline counters. Updated at most once a second.',
    mimeType: 'application/json',
  },
];

const TEMPLATES: ResourceTemplate[] = [
  {
    uriTemplate: URI_TEMPLATES.channelPosts,
    name: 'channel_posts',
    title: 'Posts of a channel',
    description:
      'Recent posts of one channel (channel_id: 26-character id). Updated on post created/edited/deleted there.',
    mimeType: 'application/json',
  },
  {
    uriTemplate: URI_TEMPLATES.thread,
    name: 'thread',
    title: 'A thread',
    description: 'A thread by its root post id. Updated on a reply, edit or delete in it.',
    mimeType: 'application/json',
  },
  {
    uriTemplate: URI_TEMPLATES.userStatus,
    name: 'user_status',
    title: "A user's presence",
    description: 'Presence changes of one user (online, away, dnd, offline).',
    mimeType: 'application/json',
  },
];

function notFound(uri: string): McpError {
  return new McpError(
    RESOURCE_NOT_FOUND,
    `Resource ${uri.slice(0, 200)} not found; call resources/list or resources/templates/list`,
    {
      uri,
    },
  );
}

/** Splits `uri?after=…&limit=…` into the bare URI and its read options. */
export function splitReadUri(raw: string): { uri: string; after?: string; limit: number } {
  const q = raw.indexOf('?');
  if (q < 0) return { uri: raw, limit: DEFAULT_READ_LIMIT };
  const params = new URLSearchParams(raw.slice(q + 1));
  const limit = Number(params.get('limit') ?? DEFAULT_READ_LIMIT);
  return {
    uri: raw.slice(0, q),
    after: params.get('after') ?? params.get('cursor') ?? undefined,
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_READ_LIMIT) : DEFAULT_READ_LIMIT,
  };
}

/** A channel as policy sees it, with names from the directory when it knows them. */
export async function channelRefById(services: BridgeServices, id: string): Promise<ChannelRef> {
  const ch = await services.directory.channel(id).catch(() => undefined);
  if (!ch) return { id };
  const team = ch.team_id ? await services.directory.team(ch.team_id).catch(() => undefined) : undefined;
  return {
    id,
    name: ch.name,
    teamId: ch.team_id || undefined,
    teamName: team?.name,
    type: ch.type as ChannelRef['type'],
  };
}

/** Whether a session may use this resource at all (a channel its policy denies does not exist for it). */
export async function resourceAllowed(
  services: BridgeServices,
  session: SessionInfo,
  parsed: ParsedUri,
): Promise<boolean> {
  if (parsed.kind !== 'channelPosts') return true;
  try {
    return session.policy.check(await channelRefById(services, parsed.channelId)).ok;
  } catch {
    return false;
  }
}

export class ResourceCatalog {
  constructor(
    private readonly services: BridgeServices,
    private readonly session: SessionInfo,
  ) {}

  private visible = (u: UpdateRecord) => updateVisible(this.session.policy, u);

  async list(): Promise<Resource[]> {
    const watched = await this.watchList();
    const allowed = await this.allowedWatches(watched);
    const channels: Resource[] = allowed.map((w) => ({
      uri: URIS.channelPosts(w.channelId),
      name: `channel_posts_${w.channelName}`,
      title: `Posts of ~${w.channelName}`,
      description: `Recent posts of the watched channel ~${w.channelName}.`,
      mimeType: 'application/json',
    }));
    return [...FIXED, ...channels];
  }

  /** The watch list for listings and completion; unavailable (e.g. Redis down) reads as empty. */
  private async watchList(): Promise<WatchEntry[]> {
    try {
      return await this.services.watches.list();
    } catch {
      return [];
    }
  }

  async allowedWatches(watched: WatchEntry[]): Promise<WatchEntry[]> {
    const out: WatchEntry[] = [];
    for (const w of watched) {
      if (await resourceAllowed(this.services, this.session, { kind: 'channelPosts', channelId: w.channelId }))
        out.push(w);
    }
    return out;
  }

  templates(): ResourceTemplate[] {
    return TEMPLATES;
  }

  async read(rawUri: string): Promise<ReadResourceResult> {
    const { uri, after, limit } = splitReadUri(rawUri);
    const parsed = parseUri(uri);
    if (!parsed || !(await resourceAllowed(this.services, this.session, parsed))) throw notFound(rawUri);
    if (parsed.kind === 'watches') {
      const watches = await this.allowedWatches(await this.services.watches.list());
      const text = watches.length
        ? watches.map((w) => `~${w.channelName} (${w.channelId}) added by ${w.addedBy} at ${w.addedAt}`).join('\n')
        : 'no watch list: every channel the bot is a member of is streamed';
      return this.contents(rawUri, { uri, watches }, text);
    }
    if (parsed.kind === 'stats') {
      const stats = await collectBridgeStats(this.services);
      return this.contents(rawUri, { uri, stats }, renderStats(stats));
    }
    const result = await this.services.eventLog.read({ streams: [uri], after, limit, accept: this.visible });
    const body = { uri, updates: result.updates, nextCursor: result.nextCursor };
    const text = renderUpdates(result.updates, result.nextCursor, `no updates in ${uri} yet`);
    return this.contents(rawUri, body, text);
  }

  private contents(uri: string, json: unknown, text: string): ReadResourceResult {
    return {
      contents: [
        { uri, mimeType: 'application/json', text: JSON.stringify(json) },
        { uri, mimeType: 'text/plain', text },
      ],
    };
  }

  /** Completion of `channel_id`, `post_id` and `user_id` from what the bridge knows. */
  async complete(template: string, argument: string, value: string): Promise<string[]> {
    const v = value.toLowerCase().replace(/^[~@]/, '');
    const candidates = new Map<string, string>(); // id → name
    if (template === URI_TEMPLATES.channelPosts && argument === 'channel_id') {
      for (const w of await this.watchList()) candidates.set(w.channelId, w.channelName);
      for (const u of await this.recent()) {
        const name = (u.data as { post?: { channelName?: string } }).post?.channelName;
        if (u.channelId && !candidates.has(u.channelId)) candidates.set(u.channelId, name ?? '');
      }
      for (const id of [...candidates.keys()]) {
        if (!(await resourceAllowed(this.services, this.session, { kind: 'channelPosts', channelId: id }))) {
          candidates.delete(id);
        }
      }
    } else if (template === URI_TEMPLATES.thread && argument === 'post_id') {
      for (const u of await this.recent()) {
        const post = (u.data as { post?: { id?: string; rootId?: string; message?: string } }).post;
        const root = post?.rootId || post?.id;
        if (root && !candidates.has(root)) candidates.set(root, post?.rootId ? '' : (post?.message ?? '').slice(0, 40));
      }
    } else if (template === URI_TEMPLATES.userStatus && argument === 'user_id') {
      for (const u of await this.recent()) {
        const name = (u.data as { post?: { username?: string } }).post?.username;
        if (u.userId && !candidates.has(u.userId)) candidates.set(u.userId, name ?? '');
      }
    }
    const out: string[] = [];
    for (const [id, name] of candidates) {
      if (id.startsWith(v) || (v && name.toLowerCase().includes(v)) || !v) out.push(id);
      if (out.length >= MAX_COMPLETIONS) break;
    }
    return out;
  }

  private async recent(): Promise<UpdateRecord[]> {
    const r = await this.services.eventLog.read({ limit: 200, accept: this.visible }).catch(() => undefined);
    return r?.updates ?? [];
  }
}

/** Installs resources/list, resources/templates/list, resources/read and completion/complete. */
export function registerResources(server: McpServer, catalog: ResourceCatalog): void {
  server.server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await catalog.list() }));
  server.server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: catalog.templates(),
  }));
  server.server.setRequestHandler(ReadResourceRequestSchema, async (req) => catalog.read(req.params.uri));
  server.server.setRequestHandler(CompleteRequestSchema, async (req) => {
    const ref = req.params.ref;
    if (ref.type !== 'ref/resource') {
      throw new McpError(ErrorCode.InvalidParams, 'this server has no prompts; complete resource template arguments');
    }
    const values = await catalog.complete(ref.uri, req.params.argument.name, req.params.argument.value);
    return { completion: { values, total: values.length, hasMore: false } };
  });
}
