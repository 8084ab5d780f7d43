/**
 * How people and models name things in Mattermost, parsed without any I/O:
 * a channel as an id, `~name` or `team:name` (and `@username` for the DM with
 * that user); a user as an id or `@username`; a post as an id or a permalink
 * `https://host/team/pl/<id>`. Resolution against the server lives in the
 * tools (it needs the directory and produces tool errors).
 */

/** Mattermost ids: 26 characters of this base32 alphabet (model.NewId). */
export const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
export const ID_PATTERN = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/;

export function isMattermostId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Channel names: lower-case letters, digits, `-`, `_` (DMs use `id__id`), 1-64 chars. */
const CHANNEL_NAME = /^[a-z0-9_-]{1,64}$/;
/** Team names: lower-case letters, digits and `-`, 2-64 chars (we accept 1 to be lenient). */
const TEAM_NAME = /^[a-z0-9-]{1,64}$/;
/** Usernames: letters, digits and `.-_`, starting with a letter, 1-64 chars. */
const USERNAME = /^[a-z][a-z0-9._-]{0,63}$/;

export type ChannelRefInput =
  | { kind: 'id'; id: string }
  | { kind: 'name'; name: string }
  | { kind: 'team-name'; team: string; name: string }
  | { kind: 'direct'; username: string };

export type UserRefInput = { kind: 'id'; id: string } | { kind: 'username'; username: string };

export type PostRefInput = { id: string; team?: string; host?: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

const CHANNEL_FORMS =
  'give a channel id (26 characters), ~channel-name, team-name:channel-name, or @username for a direct message';

export function parseChannelRef(raw: string): Parsed<ChannelRefInput> {
  const value = raw.trim();
  if (!value) return fail(`channel is empty; ${CHANNEL_FORMS}`);
  if (value.startsWith('~')) {
    const name = value.slice(1).toLowerCase();
    return CHANNEL_NAME.test(name)
      ? ok({ kind: 'name', name })
      : fail(`"${clip(raw)}" is not a channel name; ${CHANNEL_FORMS}`);
  }
  if (value.startsWith('@')) {
    const user = parseUserRef(value);
    if (!user.ok || user.value.kind !== 'username') return fail(`"${clip(raw)}" is not a username; ${CHANNEL_FORMS}`);
    return ok({ kind: 'direct', username: user.value.username });
  }
  const colon = value.indexOf(':');
  if (colon > 0) {
    const team = value.slice(0, colon).toLowerCase();
    const name = value
      .slice(colon + 1)
      .replace(/^~/, '')
      .toLowerCase();
    if (TEAM_NAME.test(team) && CHANNEL_NAME.test(name)) return ok({ kind: 'team-name', team, name });
    return fail(`"${clip(raw)}" is not team:channel; ${CHANNEL_FORMS}`);
  }
  if (isMattermostId(value)) return ok({ kind: 'id', id: value });
  // A bare name is what models most often send: accept it as ~name when it cannot be an id.
  if (CHANNEL_NAME.test(value.toLowerCase()) && value.length !== 26)
    return ok({ kind: 'name', name: value.toLowerCase() });
  return fail(`"${clip(raw)}" is not a channel; ${CHANNEL_FORMS}`);
}

const USER_FORMS = 'give a user id (26 characters) or @username';

export function parseUserRef(raw: string): Parsed<UserRefInput> {
  const value = raw.trim();
  if (!value) return fail(`user is empty; ${USER_FORMS}`);
  if (value.startsWith('@')) {
    const username = value.slice(1).toLowerCase();
    return USERNAME.test(username)
      ? ok({ kind: 'username', username })
      : fail(`"${clip(raw)}" is not a username; ${USER_FORMS}`);
  }
  if (isMattermostId(value)) return ok({ kind: 'id', id: value });
  if (USERNAME.test(value.toLowerCase()) && value.length !== 26)
    return ok({ kind: 'username', username: value.toLowerCase() });
  return fail(`"${clip(raw)}" is not a user; ${USER_FORMS}`);
}

const POST_FORMS = 'give a post id (26 characters) or a permalink like https://chat.example.com/team/pl/<post id>';

export function parsePostRef(raw: string): Parsed<PostRefInput> {
  const value = raw.trim();
  if (isMattermostId(value)) return ok({ id: value });
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail(`"${clip(raw)}" is not a valid URL; ${POST_FORMS}`);
    }
    // Permalinks: /<team>/pl/<id>; servers under a subpath add segments before the team.
    const parts = url.pathname.split('/').filter(Boolean);
    const pl = parts.lastIndexOf('pl');
    if (pl >= 1 && pl === parts.length - 2 && isMattermostId(parts[pl + 1])) {
      return ok({ id: parts[pl + 1], team: parts[pl - 1], host: url.host });
    }
    return fail(`"${clip(raw)}" is not a Mattermost permalink; ${POST_FORMS}`);
  }
  return fail(`"${clip(raw)}" is not a post id; ${POST_FORMS}`);
}

export function permalink(siteUrl: string, teamName: string, postId: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/${teamName}/pl/${postId}`;
}

function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
