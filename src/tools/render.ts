/**
 * Compact text for models (after slack-mcp-server): names resolved (`@alice`,
 * `~town-square`), ISO-8601 times, thread markers, the cursor of the next
 * page spelled out as the call to make, and a hard cap on size
 * (BRIDGE_OUTPUT_MAX_CHARS) with a line saying how to get the rest.
 */

export function iso(ms: number | undefined | null): string {
  if (!ms || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export const atUser = (username: string | undefined, fallbackId = ''): string =>
  username ? `@${username}` : fallbackId ? `user ${fallbackId}` : '@unknown';

export const tildeChannel = (name: string | undefined, fallbackId = ''): string =>
  name ? `~${name}` : fallbackId ? `channel ${fallbackId}` : '~unknown';

/** One post as the tools return it (structured) and render it (text). */
export type PostView = {
  id: string;
  channel_id: string;
  /** `~name` (DMs: `@user1, @user2`). */
  channel: string;
  user_id: string;
  /** `@username`. */
  user: string;
  message: string;
  /** ISO-8601. */
  create_at: string;
  /** ISO-8601, or "" when never edited. */
  edit_at: string;
  /** "" for a thread root or a plain post. */
  root_id: string;
  reply_count: number;
  is_pinned: boolean;
  file_ids: string[];
  /** "" for a normal post; system posts carry a type such as system_join_channel. */
  type: string;
};

/** Markers that tell a model how a post sits in a thread. */
export function threadMarker(p: Pick<PostView, 'id' | 'root_id' | 'reply_count'>): string {
  if (p.root_id) return `[reply in thread ${p.root_id}]`;
  if (p.reply_count > 0) return `[thread: ${p.reply_count} ${p.reply_count === 1 ? 'reply' : 'replies'}]`;
  return '';
}

/**
 * `- 2026-11-21T10:00:00.000Z @alice (post <id>) [thread: 2 replies]:` then the
 * message indented by two spaces. `withChannel` adds the channel (search results).
 */
export function renderPost(p: PostView, opts: { withChannel?: boolean } = {}): string {
  const bits = [`- ${p.create_at} ${p.user}`];
  if (opts.withChannel) bits.push(`in ${p.channel}`);
  bits.push(`(post ${p.id})`);
  const marker = threadMarker(p);
  if (marker) bits.push(marker);
  if (p.edit_at) bits.push('[edited]');
  if (p.is_pinned) bits.push('[pinned]');
  if (p.file_ids.length) bits.push(`[files: ${p.file_ids.join(', ')}]`);
  if (p.type && !p.type.startsWith('custom_')) bits.push(`[${p.type}]`);
  const body = p.message ? `\n${indent(p.message)}` : '';
  return `${bits.join(' ')}:${body}`;
}

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** One line, whitespace collapsed, at most `max` chars (for previews and titles). */
export function oneLine(text: string, max = 120): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The call that fetches the next page, written so a model can copy it. */
export function nextPageLine(tool: string, args: Record<string, unknown>): string {
  return `More: call ${tool} with ${JSON.stringify(args)}`;
}

/**
 * How many blocks (in order) fit in `budget` characters when joined by
 * newlines; at least one when `atLeastOne`, so a single huge item still shows
 * (truncated by `capText`).
 */
export function countFitting(blocks: string[], budget: number, atLeastOne = true): number {
  let used = 0;
  for (let i = 0; i < blocks.length; i++) {
    used += blocks[i].length + 1;
    if (used > budget) return atLeastOne && i === 0 ? 1 : i;
  }
  return blocks.length;
}

/**
 * Caps a whole text at `max` characters, cutting at a line end where possible,
 * and appends one line saying how much was cut and how to get the rest.
 */
export function capText(text: string, max: number, howToGetRest: string): string {
  if (text.length <= max) return text;
  const note = (cut: number) => `\n… output truncated (${cut} more characters). ${howToGetRest}`;
  const room = Math.max(0, max - note(text.length).length);
  let cutAt = text.lastIndexOf('\n', room);
  if (cutAt < room * 0.5) cutAt = room;
  return text.slice(0, cutAt) + note(text.length - cutAt);
}

/** Joins header, blocks and footer, keeping blocks that fit; returns how many were kept. */
export function assemble(
  header: string,
  blocks: string[],
  footer: (kept: number) => string,
  max: number,
  fromEnd = false,
): { text: string; kept: number } {
  // Reserve room for the header and a generous footer.
  const budget = max - header.length - 400;
  const ordered = fromEnd ? [...blocks].reverse() : blocks;
  const kept = Math.min(blocks.length, countFitting(ordered, Math.max(0, budget)));
  const chosen = fromEnd ? blocks.slice(blocks.length - kept) : blocks.slice(0, kept);
  const parts = [header, ...chosen];
  const foot = footer(kept);
  if (foot) parts.push(foot);
  return { text: parts.filter((p) => p !== '').join('\n'), kept };
}
