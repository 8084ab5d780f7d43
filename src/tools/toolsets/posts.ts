/** Toolset `posts`: read channels and threads, search, post, edit, delete, pin. */
import type { Post, PostList } from '@mattermost/types/posts';
import { z } from 'zod';
import { ID_PATTERN, permalink } from '../../mattermost/refs';
import { ToolError } from '../define';
import { assemble, nextPageLine, renderPost } from '../render';
import {
  botTeams,
  channelParam,
  channelVisible,
  cursorParam,
  idParam,
  limitParam,
  messageParam,
  mm,
  mmTool,
  outputMax,
  postIdParam,
  postShape,
  postViews,
  requireWrite,
  resolveChannel,
  resolvePost,
  resolveTeam,
  rootIdParam,
  teamParam,
  type Ctx,
  type ResolvedChannel,
} from './common';

const postsOut = z.array(z.object(postShape));

/** Posts of a PostList in `order`, oldest first, without deleted ones. */
function ordered(list: PostList): Post[] {
  return (
    (list.order ?? [])
      .map((id) => list.posts?.[id])
      .filter((p): p is Post => !!p && !p.delete_at)
      // `order` is newest first: reversing keeps posts of the same millisecond in server order.
      .reverse()
      .sort((a, b) => a.create_at - b.create_at)
  );
}

async function permalinkFor(ctx: Ctx, post: Post, where: ResolvedChannel): Promise<string> {
  const base = ctx.services.config.MATTERMOST_URL ?? ctx.services.mattermost.getUrl();
  const team = where.team ?? (await botTeams(ctx).catch(() => []))[0];
  return team ? permalink(base, team.name, post.id) : '';
}

/** `since`: ISO-8601 or Unix milliseconds. */
const sinceParam = z
  .string()
  .max(40)
  .superRefine((v, c) => {
    if (parseSince(v) === undefined) {
      c.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'must be an ISO-8601 time such as 2026-11-21T10:00:00Z, or Unix milliseconds',
      });
    }
  })
  .optional()
  .describe('Only posts created or edited after this time (ISO-8601 or Unix ms), oldest first: "what did I miss".');

function parseSince(v: string): number | undefined {
  if (/^\d{10,16}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

const postAnchor = (what: string) => idParam('post').optional().describe(what);

function readCursor(cursor: string): { dir: 'before' | 'after'; id: string } {
  const m = /^(before|after):([a-z0-9]{26})$/.exec(cursor);
  if (!m || !ID_PATTERN.test(m[2])) {
    throw new ToolError(
      'validation',
      `cursor "${cursor}" is not a read_channel cursor (before:<post id> or after:<post id>); take it from a previous result`,
    );
  }
  return { dir: m[1] as 'before' | 'after', id: m[2] };
}

export const readChannel = mmTool({
  name: 'read_channel',
  toolset: 'posts',
  scope: 'read',
  description:
    'Reads posts of a channel, oldest first, with authors as @username, ISO-8601 times and thread markers ([thread: N replies] on roots, [reply in thread <root id>] on replies). Without options: the latest posts. since=<ISO time>: everything created or edited after it ("what did I miss"). before/after=<post id>: the page older/newer than that post. The result ends with the exact call for the next page (cursor) and newer_cursor to poll for new posts. Use read_thread for a whole thread.',
  input: {
    channel: channelParam,
    limit: limitParam(30, 200, 'posts'),
    cursor: cursorParam,
    since: sinceParam,
    before: postAnchor('Posts older than this post id.'),
    after: postAnchor('Posts newer than this post id.'),
  },
  output: {
    channel: z.string().describe('~name of the channel read'),
    channel_id: z.string(),
    posts: postsOut,
    next_cursor: z
      .string()
      .describe(
        'continues in the same direction (older for the default and before, newer for after and since); "" at the end',
      ),
    newer_cursor: z.string().describe('after:<newest post id>: pass as cursor later to get only newer posts'),
  },
  annotations: {
    title: 'Read channel',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const given = ['cursor', 'since', 'before', 'after'].filter((k) => args[k as 'cursor'] !== undefined);
    if (given.length > 1) {
      throw new ToolError('validation', `pass at most one of cursor, since, before, after (got ${given.join(', ')})`);
    }
    const where = await resolveChannel(ctx, args.channel);
    const id = where.channel.id;
    const client = ctx.services.mattermost;
    const notFound = { notFound: `a post of the cursor is gone; call read_channel on ${where.label} without a cursor` };
    let anchor: { dir: 'before' | 'after'; id: string } | undefined;
    if (args.cursor) anchor = readCursor(args.cursor);
    else if (args.before) anchor = { dir: 'before', id: args.before };
    else if (args.after) anchor = { dir: 'after', id: args.after };

    let posts: Post[];
    let forward: boolean;
    let full: boolean;
    if (args.since !== undefined) {
      const since = parseSince(args.since) as number;
      const list = await mm(() => client.getPostsSince(id, since), notFound);
      const all = ordered(list).filter((p) => p.channel_id === id);
      posts = all.slice(0, args.limit);
      forward = true;
      full = all.length > args.limit;
    } else if (anchor) {
      const a = anchor;
      const list = await mm(
        () =>
          a.dir === 'before'
            ? client.getPostsBefore(id, a.id, 0, args.limit)
            : client.getPostsAfter(id, a.id, 0, args.limit),
        notFound,
      );
      posts = ordered(list).filter((p) => p.channel_id === id);
      forward = a.dir === 'after';
      full = (list.order ?? []).length >= args.limit;
    } else {
      const list = await mm(() => client.getPosts(id, 0, args.limit), {
        forbidden: `the bot cannot read ${where.label}; call join_channel first`,
      });
      posts = ordered(list).filter((p) => p.channel_id === id);
      forward = false;
      full = (list.order ?? []).length >= args.limit;
    }
    const views = await postViews(ctx, posts, where);
    const blocks = views.map((p) => renderPost(p));
    const header = `${where.label} (channel id ${id}): ${views.length} post(s), oldest first.`;
    let nextCursor = '';
    const { text, kept } = assemble(
      header,
      blocks,
      (kept) => {
        const shown = forward ? views.slice(0, kept) : views.slice(views.length - kept);
        const cut = kept < views.length;
        if (forward) nextCursor = cut || full ? `after:${shown[shown.length - 1]?.id ?? ''}` : '';
        else nextCursor = cut || full ? `before:${shown[0]?.id ?? ''}` : '';
        if (nextCursor.endsWith(':')) nextCursor = '';
        const lines: string[] = [];
        if (!views.length) lines.push(anchor || args.since ? 'No posts in this range.' : 'The channel has no posts.');
        if (nextCursor)
          lines.push(nextPageLine('read_channel', { channel: args.channel, limit: args.limit, cursor: nextCursor }));
        return lines.join('\n');
      },
      outputMax(ctx),
      !forward,
    );
    const shown = forward ? views.slice(0, kept) : views.slice(views.length - kept);
    const newest = shown[shown.length - 1] ?? views[views.length - 1];
    return {
      structured: {
        channel: where.label,
        channel_id: id,
        posts: shown,
        next_cursor: nextCursor,
        newer_cursor: newest ? `after:${newest.id}` : '',
      },
      text,
    };
  },
});

function threadCursor(cursor: string): { at: number; id: string } {
  const m = /^from:(\d{1,16}):([a-z0-9]{26})$/.exec(cursor);
  if (!m) {
    throw new ToolError('validation', `cursor "${cursor}" is not a read_thread cursor; take it from a previous result`);
  }
  return { at: Number(m[1]), id: m[2] };
}

export const readThread = mmTool({
  name: 'read_thread',
  toolset: 'posts',
  scope: 'read',
  description:
    'Reads a whole thread (the root post and its replies, oldest first) given any post of it: a post id or a permalink. Long threads come in pages; the result ends with the call for the next page. Reply to the thread with create_post and root_id.',
  input: { post_id: postIdParam, limit: limitParam(50, 200, 'posts'), cursor: cursorParam },
  output: {
    root_id: z.string(),
    channel: z.string(),
    posts: postsOut,
    next_cursor: z.string().describe('"" when the thread is complete'),
  },
  annotations: {
    title: 'Read thread',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const from = args.cursor ? threadCursor(args.cursor) : undefined;
    const { post, channel } = await resolvePost(ctx, args.post_id);
    const rootId = post.root_id || post.id;
    const list = await mm(
      () =>
        ctx.services.mattermost.getPaginatedPostThread(rootId, {
          fetchThreads: true,
          collapsedThreads: false,
          direction: 'down',
          perPage: args.limit + 1,
          ...(from && { fromCreateAt: from.at, fromPost: from.id }),
        }),
      { notFound: `thread ${rootId} not found; call read_channel to find posts` },
    );
    // Servers (and simulations) that ignore paging return the whole thread: filter and cut here too.
    let all = ordered(list).filter((p) => p.id === rootId || p.root_id === rootId);
    if (from)
      all = all.filter((p) => p.create_at > from.at || (p.create_at === from.at && p.id > from.id && p.id !== rootId));
    all.sort((a, b) => a.create_at - b.create_at || a.id.localeCompare(b.id));
    const page = all.slice(0, args.limit);
    const more =
      all.length > args.limit || Boolean((list as { has_next?: boolean }).has_next && all.length >= args.limit);
    const views = await postViews(ctx, page, channel);
    const header = `Thread ${rootId} in ${channel.label}: ${views.length} post(s)${from ? ' (continued)' : ''}, oldest first.`;
    let nextCursor = '';
    const { text, kept } = assemble(
      header,
      views.map((p) => renderPost(p)),
      (kept) => {
        const last = page[kept - 1];
        nextCursor = (kept < page.length || more) && last ? `from:${last.create_at}:${last.id}` : '';
        return nextCursor
          ? nextPageLine('read_thread', { post_id: rootId, limit: args.limit, cursor: nextCursor })
          : '';
      },
      outputMax(ctx),
    );
    return {
      structured: { root_id: rootId, channel: channel.label, posts: views.slice(0, kept), next_cursor: nextCursor },
      text,
    };
  },
});

export const readPost = mmTool({
  name: 'read_post',
  toolset: 'posts',
  scope: 'read',
  description:
    'Reads one post given its id or permalink: author, channel, time, message, thread position, files and its permalink. Use read_thread for the replies.',
  input: { post_id: postIdParam },
  output: { post: z.object(postShape), permalink: z.string() },
  annotations: {
    title: 'Read post',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const { post, channel } = await resolvePost(ctx, args.post_id);
    const [view] = await postViews(ctx, [post], channel);
    const link = await permalinkFor(ctx, post, channel);
    return {
      structured: { post: view, permalink: link },
      text: `${renderPost(view, { withChannel: true })}${link ? `\nPermalink: ${link}` : ''}`,
    };
  },
});

const SEARCH_PAGE = 60;
const SEARCH_MAX_PAGES = 10;

function searchCursor(cursor: string | undefined): { page: number; skip: number } {
  if (!cursor) return { page: 0, skip: 0 };
  const m = /^search:(\d{1,5}):(\d{1,3})$/.exec(cursor);
  if (!m)
    throw new ToolError(
      'validation',
      `cursor "${cursor}" is not a search_posts cursor; take it from a previous result`,
    );
  return { page: Number(m[1]), skip: Number(m[2]) };
}

export const searchPosts = mmTool({
  name: 'search_posts',
  toolset: 'posts',
  scope: 'read',
  description:
    'Searches posts with Mattermost\'s search syntax: words (all must match unless is_or_search), "exact phrases" in quotes, from:username, in:channel-name, before:YYYY-MM-DD, after:YYYY-MM-DD, on:YYYY-MM-DD, -word to exclude, #hashtags, and * as a suffix wildcard. Results (newest first) show channel, author, time and post id; posts in channels this key may not read are left out. Pages past the first page with cursor; a large limit fetches several pages (with progress).',
  input: {
    terms: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(1000)
      .describe('Search terms, e.g. `deploy from:alice in:dev after:2026-01-01 "release notes"`'),
    team: teamParam,
    is_or_search: z.boolean().default(false).describe('true: any word may match; false: all must'),
    limit: limitParam(20, 200, 'posts'),
    cursor: cursorParam,
  },
  output: {
    terms: z.string(),
    posts: postsOut,
    next_cursor: z.string().describe('"" when there are no more results'),
    hidden_by_policy: z.number(),
  },
  annotations: {
    title: 'Search posts',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const team = await resolveTeam(ctx, args.team);
    const teams = await botTeams(ctx);
    const teamId = team?.id ?? (teams.length === 1 ? teams[0].id : '');
    const teamById = new Map(teams.map((t) => [t.id, t]));
    let { page, skip } = searchCursor(args.cursor);
    const found: Post[] = [];
    /** Where each found post sits in the results, so a cut page resumes right after the last one shown. */
    const at: string[] = [];
    let hidden = 0;
    let next = '';
    for (let fetched = 0; found.length < args.limit; fetched++) {
      if (ctx.signal.aborted) throw new ToolError('unavailable', 'the request was cancelled');
      if (fetched >= SEARCH_MAX_PAGES) {
        next = `search:${page}:0`;
        break;
      }
      const res = await mm(
        () =>
          ctx.services.mattermost.searchPostsWithParams(teamId, {
            terms: args.terms,
            is_or_search: args.is_or_search,
            include_deleted_channels: false,
            time_zone_offset: 0,
            page,
            per_page: SEARCH_PAGE,
          }),
        {
          badRequest: 'Mattermost could not parse the search terms; simplify them',
          notFound: 'search is not available here; pass team',
        },
      );
      const order = res.order ?? [];
      let stopped = false;
      for (let i = skip; i < order.length; i++) {
        const p = res.posts?.[order[i]];
        if (!p || p.delete_at) continue;
        const channel = await ctx.services.directory.channel(p.channel_id).catch(() => undefined);
        if (!channel || !channelVisible(ctx, channel, teamById.get(channel.team_id))) {
          hidden++;
          continue;
        }
        found.push(p);
        at.push(`search:${page}:${i + 1}`);
        if (found.length >= args.limit) {
          const more = i + 1 < order.length || order.length >= SEARCH_PAGE;
          next = more ? (i + 1 < order.length ? `search:${page}:${i + 1}` : `search:${page + 1}:0`) : '';
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      if (order.length < SEARCH_PAGE) break;
      page++;
      skip = 0;
      await ctx.progress(found.length, args.limit, `searched ${page} page(s)`);
    }
    const views = await postViews(ctx, found);
    const header = `${views.length} post(s) matching ${JSON.stringify(args.terms)}${hidden ? ` (${hidden} hidden by this key's channel policy)` : ''}, newest first:`;
    const blocks = views.map((p) => renderPost(p, { withChannel: true }));
    let nextCursor = next;
    const { text, kept } = assemble(
      header,
      blocks,
      (kept) => {
        if (kept < views.length) nextCursor = at[kept - 1];
        const lines = views.length ? [] : ['No matches. Try fewer words, is_or_search=true, or other dates.'];
        if (nextCursor) lines.push(nextPageLine('search_posts', { ...args, cursor: nextCursor }));
        return lines.join('\n');
      },
      outputMax(ctx),
    );
    return {
      structured: { terms: args.terms, posts: views.slice(0, kept), next_cursor: nextCursor, hidden_by_policy: hidden },
      text,
    };
  },
});

export const createPost = mmTool({
  name: 'create_post',
  toolset: 'posts',
  scope: 'write',
  description:
    'Posts a message as the bot. To reply in a thread pass root_id (any post of the thread, id or permalink); channel may then be omitted. channel is an id, ~name, team:name or @username (a direct message, if allowed). Attach files uploaded with upload_file (post_file=false) through file_ids. Returns the new post id and its permalink.',
  input: {
    channel: channelParam.optional(),
    message: messageParam,
    root_id: rootIdParam.optional(),
    file_ids: z
      .array(idParam('file'))
      .max(10, 'at most 10 files per post')
      .optional()
      .describe('Files from upload_file (same channel, not yet attached), at most 10.'),
  },
  output: { post: z.object(postShape), permalink: z.string() },
  annotations: {
    title: 'Create post',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'create_post');
    const { where, rootId } = await target(ctx, args.channel, args.root_id);
    const created = await mm(
      () =>
        ctx.services.mattermost.createPost({
          channel_id: where.channel.id,
          message: args.message,
          root_id: rootId,
          ...(args.file_ids?.length && { file_ids: args.file_ids }),
        } as Post),
      {
        forbidden: `the bot may not post in ${where.label}${where.channel.type === 'O' ? '; call join_channel first' : ''}`,
        badRequest: args.file_ids?.length
          ? 'Mattermost refused the post; file_ids must come from upload_file in the same channel and not be attached yet'
          : 'Mattermost refused the post',
      },
    );
    const [view] = await postViews(ctx, [created], where);
    const link = await permalinkFor(ctx, created, where);
    return {
      structured: { post: view, permalink: link },
      text: `Posted in ${where.label}${rootId ? ` as a reply in thread ${rootId}` : ''}: post ${created.id}${link ? ` (${link})` : ''}.`,
    };
  },
});

/** Where a new post goes: the channel, or the thread's channel when root_id is given. */
async function target(ctx: Ctx, channel: string | undefined, root: string | undefined) {
  if (!root) {
    if (!channel) throw new ToolError('validation', 'pass channel (or root_id to reply in a thread)');
    return { where: await resolveChannel(ctx, channel), rootId: '' };
  }
  const { post, channel: where } = await resolvePost(ctx, root, { param: 'root_id' });
  if (channel) {
    const given = await resolveChannel(ctx, channel);
    if (given.channel.id !== where.channel.id) {
      throw new ToolError(
        'validation',
        `root_id ${post.id} is in ${where.label}, not in ${given.label}; omit channel when replying in a thread`,
      );
    }
  }
  return { where, rootId: post.root_id || post.id };
}

export const updatePost = mmTool({
  name: 'update_post',
  toolset: 'posts',
  scope: 'write',
  description:
    "Replaces the message of a post the bot wrote (id or permalink). Mattermost shows it as edited. The bot cannot edit other people's posts.",
  input: { post_id: postIdParam, message: messageParam },
  output: { post: z.object(postShape) },
  annotations: {
    title: 'Edit post',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'update_post');
    const { post, channel } = await resolvePost(ctx, args.post_id);
    const updated = await mm(() => ctx.services.mattermost.patchPost({ id: post.id, message: args.message }), {
      forbidden: `the bot may edit only its own posts; post ${post.id} is not one of them`,
      notFound: `post ${post.id} no longer exists`,
    });
    const [view] = await postViews(ctx, [updated], channel);
    return { structured: { post: view }, text: `Edited post ${post.id} in ${channel.label}.` };
  },
});

export const deletePost = mmTool({
  name: 'delete_post',
  toolset: 'posts',
  scope: 'write',
  description:
    "Deletes a post (id or permalink) for everyone; deleting a thread root deletes its replies too. Usually only the bot's own posts may be deleted. This cannot be undone.",
  input: { post_id: postIdParam },
  output: { post_id: z.string(), deleted: z.boolean() },
  annotations: {
    title: 'Delete post',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'delete_post');
    const { post, channel } = await resolvePost(ctx, args.post_id);
    const id = post.id;
    await mm(() => ctx.services.mattermost.deletePost(id), {
      forbidden: `the bot may not delete post ${id} (usually only its own posts)`,
      notFound: `post ${id} is already gone`,
    });
    return { structured: { post_id: id, deleted: true }, text: `Deleted post ${id} in ${channel.label}.` };
  },
});

function pinTool(pin: boolean) {
  const name = pin ? 'pin_post' : 'unpin_post';
  return mmTool({
    name,
    toolset: 'posts',
    scope: 'write',
    description: pin
      ? 'Pins a post (id or permalink) to its channel so members find it in the pinned list. Pinning a pinned post does nothing.'
      : "Removes a post (id or permalink) from its channel's pinned list. Unpinning a post that is not pinned does nothing.",
    input: { post_id: postIdParam },
    output: { post_id: z.string(), pinned: z.boolean() },
    annotations: {
      title: pin ? 'Pin post' : 'Unpin post',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
    handler: async (args, ctx) => {
      requireWrite(ctx, name);
      const { post, channel } = await resolvePost(ctx, args.post_id);
      const client = ctx.services.mattermost;
      await mm(() => (pin ? client.pinPost(post.id) : client.unpinPost(post.id)), {
        forbidden: `the bot may not ${pin ? 'pin' : 'unpin'} posts in ${channel.label}`,
      });
      return {
        structured: { post_id: post.id, pinned: pin },
        text: `${pin ? 'Pinned' : 'Unpinned'} post ${post.id} in ${channel.label}.`,
      };
    },
  });
}

export const pinPost = pinTool(true);
export const unpinPost = pinTool(false);

export const postsTools = [
  readChannel,
  readThread,
  readPost,
  searchPosts,
  createPost,
  updatePost,
  deletePost,
  pinPost,
  unpinPost,
];
