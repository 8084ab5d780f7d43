/**
 * The form Mattermost POSTs to a slash command's URL (protocol notes §4.2),
 * parsed strictly: the body must be well-formed UTF-8
 * `application/x-www-form-urlencoded`, every required field present once, ids
 * in Mattermost's alphabet, and the repeated mention keys paired up. Anything
 * else is refused with one sentence saying what was wrong (→ HTTP 400), never
 * a crash.
 */
import { ID_PATTERN } from '../mattermost/refs';

export interface SlashForm {
  token: string;
  teamId: string;
  /** The team *name*. */
  teamDomain: string;
  channelId: string;
  channelName: string;
  userId: string;
  userName: string;
  /** `/` + trigger, lower-cased. */
  command: string;
  /** Everything after the trigger and the first whitespace. */
  text: string;
  triggerId: string;
  /** `<SiteURL>/hooks/commands/<id>`: usable 5 times within 30 minutes. */
  responseUrl: string;
  /** Users mentioned in `text` (usernames without `@`) with their ids, in order. */
  userMentions: { name: string; id: string }[];
  /** Public channels mentioned in `text` (names without `~`) with their ids, in order. */
  channelMentions: { name: string; id: string }[];
}

export type FormResult = { ok: true; form: SlashForm } | { ok: false; error: string };

/** Longest form accepted: Mattermost caps a post at 16,383 characters; percent-encoding triples that at most. */
export const MAX_FORM_BYTES = 64 * 1024;
export const MAX_TEXT_CHARS = 16_383;

const SINGLE_FIELDS = {
  token: 'token',
  team_id: 'teamId',
  team_domain: 'teamDomain',
  channel_id: 'channelId',
  channel_name: 'channelName',
  user_id: 'userId',
  user_name: 'userName',
  command: 'command',
  text: 'text',
  trigger_id: 'triggerId',
  response_url: 'responseUrl',
} as const satisfies Record<string, keyof SlashForm>;

type SingleField = keyof typeof SINGLE_FIELDS;

const LIST_FIELDS = ['user_mentions', 'user_mentions_ids', 'channel_mentions', 'channel_mentions_ids'] as const;
type ListField = (typeof LIST_FIELDS)[number];

/** The token is checked (401) before these rules run (400). */
const REQUIRED: SingleField[] = ['team_id', 'channel_id', 'user_id', 'command'];
const ID_FIELDS: SingleField[] = ['team_id', 'channel_id', 'user_id'];

/** Fields whose values are short identifiers: generous caps, far above anything Mattermost sends. */
const FIELD_MAX: Partial<Record<SingleField | ListField, number>> = {
  token: 128,
  team_domain: 64,
  channel_name: 128,
  user_name: 64,
  command: 129,
  trigger_id: 4096,
  response_url: 2048,
  user_mentions: 64,
  channel_mentions: 128,
  user_mentions_ids: 26,
  channel_mentions_ids: 26,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeComponent(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** A short, safe preview of a key for error messages (it may be attacker-controlled). */
function keyLabel(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}

/** The form's fields after syntax checks, before the per-field rules of `validateSlashForm`. */
export interface DecodedForm {
  singles: Map<SingleField, string>;
  lists: Record<ListField, string[]>;
}

export type DecodeResult = { ok: true; decoded: DecodedForm } | { ok: false; error: string };

/**
 * Decodes the raw body: content type, size, UTF-8, percent-encoding, NULs,
 * field lengths and duplicates. `contentType` is the request's header;
 * Mattermost sends `application/x-www-form-urlencoded` without a charset.
 */
export function decodeSlashForm(body: Buffer | string, contentType: string | undefined): DecodeResult {
  const fail = (error: string): DecodeResult => ({ ok: false, error });
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return fail(
      `expected Content-Type application/x-www-form-urlencoded (as Mattermost sends), got ${contentType ? keyLabel(contentType) : 'none'}`,
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return fail(`the form must be UTF-8, not charset ${keyLabel(charset)}`);
  }
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length > MAX_FORM_BYTES) {
    return fail(`the form is ${bytes.length} bytes; at most ${MAX_FORM_BYTES} are accepted`);
  }
  let raw: string;
  try {
    raw = utf8.decode(bytes);
  } catch {
    return fail('the form is not valid UTF-8');
  }
  if (raw.length === 0) return fail('the form is empty; expected the fields Mattermost sends (token, team_id, ...)');

  const singles = new Map<SingleField, string>();
  const lists: Record<ListField, string[]> = {
    user_mentions: [],
    user_mentions_ids: [],
    channel_mentions: [],
    channel_mentions_ids: [],
  };
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined)
      return fail(`a field name is not valid percent-encoded UTF-8 (${keyLabel(pair.slice(0, 40))})`);
    if (value === undefined) return fail(`field ${keyLabel(key)} is not valid percent-encoded UTF-8`);
    if (value.includes('\u0000') || key.includes('\u0000'))
      return fail(`field ${keyLabel(key)} contains a NUL character`);
    const max = FIELD_MAX[key as SingleField | ListField] ?? (key === 'text' ? MAX_TEXT_CHARS : undefined);
    if (max !== undefined && value.length > max) {
      return fail(`field ${key} is ${value.length} characters long; at most ${max} are accepted`);
    }
    if (Object.hasOwn(SINGLE_FIELDS, key)) {
      const k = key as SingleField;
      if (singles.has(k)) return fail(`field ${k} is given more than once`);
      singles.set(k, value);
    } else if ((LIST_FIELDS as readonly string[]).includes(key)) {
      const list = lists[key as ListField];
      if (list.length >= 200) return fail(`too many ${key} values (at most 200)`);
      list.push(value);
    }
    // Unknown fields are ignored: newer Mattermost versions may add some.
  }
  return { ok: true, decoded: { singles, lists } };
}

/** The per-field rules: required fields, ids, the command, response_url, paired mention lists. */
export function validateSlashForm({ singles, lists }: DecodedForm): FormResult {
  const fail = (error: string): FormResult => ({ ok: false, error });
  for (const k of REQUIRED) {
    if (!singles.get(k)) return fail(`field ${k} is missing or empty`);
  }
  for (const k of ID_FIELDS) {
    if (!ID_PATTERN.test(singles.get(k) as string)) {
      return fail(`field ${k} is not a Mattermost id (26 characters of a-z and 0-9)`);
    }
  }
  const command = singles.get('command') as string;
  if (!/^\/[^\s/][^\s]{0,127}$/.test(command)) {
    return fail('field command must be "/" followed by the trigger (no spaces), e.g. /mcp');
  }
  const responseUrl = singles.get('response_url') ?? '';
  if (responseUrl && !isHttpUrl(responseUrl)) return fail('field response_url must be an absolute http(s) URL');

  const userMentions = pairUp(lists.user_mentions, lists.user_mentions_ids, 'user_mentions');
  if (typeof userMentions === 'string') return fail(userMentions);
  const channelMentions = pairUp(lists.channel_mentions, lists.channel_mentions_ids, 'channel_mentions');
  if (typeof channelMentions === 'string') return fail(channelMentions);

  const get = (k: SingleField) => singles.get(k) ?? '';
  return {
    ok: true,
    form: {
      token: get('token'),
      teamId: get('team_id'),
      teamDomain: get('team_domain'),
      channelId: get('channel_id'),
      channelName: get('channel_name'),
      userId: get('user_id'),
      userName: get('user_name'),
      command: command.toLowerCase(),
      text: get('text'),
      triggerId: get('trigger_id'),
      responseUrl,
      userMentions,
      channelMentions,
    },
  };
}

/** Both steps at once (for callers that do not check the token in between). */
export function parseSlashForm(body: Buffer | string, contentType: string | undefined): FormResult {
  const decoded = decodeSlashForm(body, contentType);
  return decoded.ok ? validateSlashForm(decoded.decoded) : decoded;
}

function pairUp(names: string[], ids: string[], field: string): { name: string; id: string }[] | string {
  if (names.length !== ids.length) {
    return `${field} has ${names.length} values but ${field}_ids has ${ids.length}; they must be parallel lists`;
  }
  const out: { name: string; id: string }[] = [];
  for (let i = 0; i < names.length; i++) {
    if (!ID_PATTERN.test(ids[i])) return `${field}_ids holds a value that is not a Mattermost id`;
    out.push({ name: names[i].replace(/^[@~]/, '').toLowerCase(), id: ids[i] });
  }
  return out;
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Encodes a form the way Mattermost does (Go's url.Values.Encode: keys sorted). For tests and `doctor`. */
export function encodeSlashForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(fields).sort()) {
    const v = fields[key];
    for (const one of Array.isArray(v) ? v : [v]) params.append(key, one);
  }
  return params.toString();
}
