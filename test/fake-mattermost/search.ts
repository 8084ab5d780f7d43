/**
 * Post search as the database backend does it: words (AND, or OR with
 * is_or_search), "quoted phrases", `term*` prefixes, #hashtags, `-excluded`
 * words, and the modifiers from:, in:, before:, after:, on: (dates in the
 * caller's time zone offset). Only channels the user belongs to are searched.
 */
import type { Channel, Post, Store } from './store';

export interface SearchQuery {
  words: string[];
  phrases: string[];
  excluded: string[];
  hashtags: string[];
  from: string[];
  excludedFrom: string[];
  in: string[];
  excludedIn: string[];
  before?: string;
  after?: string;
  on?: string;
}

export function parseSearch(terms: string): SearchQuery {
  const q: SearchQuery = {
    words: [],
    phrases: [],
    excluded: [],
    hashtags: [],
    from: [],
    excludedFrom: [],
    in: [],
    excludedIn: [],
  };
  const tokens = terms.match(/-?"[^"]*"|\S+/g) ?? [];
  for (const raw of tokens) {
    const negative = raw.startsWith('-') && raw.length > 1;
    const token = negative ? raw.slice(1) : raw;
    if (token.startsWith('"')) {
      const phrase = token.replace(/^"|"$/g, '').trim().toLowerCase();
      if (phrase) (negative ? q.excluded : q.phrases).push(phrase);
      continue;
    }
    const m = /^(from|in|before|after|on):(.*)$/i.exec(token);
    if (m) {
      const key = m[1].toLowerCase();
      const value = m[2].replace(/^[@~]/, '').toLowerCase();
      if (!value) continue;
      if (key === 'from') (negative ? q.excludedFrom : q.from).push(value);
      else if (key === 'in') (negative ? q.excludedIn : q.in).push(value);
      else if (key === 'before') q.before = value;
      else if (key === 'after') q.after = value;
      else q.on = value;
      continue;
    }
    const word = token.toLowerCase();
    if (word.startsWith('#') && word.length > 1) q.hashtags.push(word);
    else if (negative) q.excluded.push(word);
    else q.words.push(word);
  }
  return q;
}

/** Start of a YYYY-MM-DD day in ms, for a UTC offset in seconds. */
function dayStart(date: string, offsetSeconds: number): number | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(date);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - offsetSeconds * 1000;
}

const DAY = 86_400_000;

function wordsOf(message: string): string[] {
  return message
    .toLowerCase()
    .split(/[^\p{L}\p{N}_'#@.-]+/u)
    .map((w) => w.replace(/^[.'-]+|[.'-]+$/g, ''))
    .filter(Boolean);
}

function matchesWord(words: string[], term: string): boolean {
  if (term.endsWith('*')) {
    const prefix = term.slice(0, -1);
    return words.some((w) => w.startsWith(prefix));
  }
  return words.includes(term);
}

export function searchPosts(
  store: Store,
  userId: string,
  teamId: string,
  terms: string,
  opts: { isOrSearch: boolean; timeZoneOffset: number },
): Post[] {
  const q = parseSearch(terms);
  const hasCriteria =
    q.words.length + q.phrases.length + q.hashtags.length + q.from.length + q.in.length > 0 ||
    !!(q.before || q.after || q.on);
  if (!hasCriteria) return [];
  const channels = new Map<string, Channel>();
  for (const c of store.channelsOf(userId)) {
    if (c.delete_at !== 0) continue;
    if (teamId && c.team_id !== teamId && c.team_id !== '') continue;
    channels.set(c.id, c);
  }
  const fromIds = new Set(q.from.map((u) => store.userByUsername(u)?.id ?? '-'));
  const excludedFromIds = new Set(q.excludedFrom.map((u) => store.userByUsername(u)?.id ?? '-'));
  const inMatch = (c: Channel, names: string[]) =>
    names.some((n) => c.name === n || c.id === n || c.display_name.toLowerCase() === n);
  let lower = -Infinity;
  let upper = Infinity;
  if (q.on) {
    const s = dayStart(q.on, opts.timeZoneOffset);
    if (s !== undefined) {
      lower = s;
      upper = s + DAY;
    }
  }
  if (q.after) {
    const s = dayStart(q.after, opts.timeZoneOffset);
    if (s !== undefined) lower = Math.max(lower, s + DAY);
  }
  if (q.before) {
    const s = dayStart(q.before, opts.timeZoneOffset);
    if (s !== undefined) upper = Math.min(upper, s);
  }

  const results: Post[] = [];
  for (const post of store.posts.values()) {
    const channel = channels.get(post.channel_id);
    if (!channel || post.delete_at !== 0 || post.type.startsWith('system_')) continue;
    if (fromIds.size > 0 && !fromIds.has(post.user_id)) continue;
    if (excludedFromIds.has(post.user_id)) continue;
    if (q.in.length > 0 && !inMatch(channel, q.in)) continue;
    if (q.excludedIn.length > 0 && inMatch(channel, q.excludedIn)) continue;
    if (post.create_at < lower || post.create_at >= upper) continue;
    const words = wordsOf(post.message);
    const text = post.message.toLowerCase();
    const tags = post.hashtags.toLowerCase().split(' ');
    if (q.excluded.some((e) => (e.includes(' ') ? text.includes(e) : matchesWord(words, e)))) continue;
    const checks = [
      ...q.words.map((w) => matchesWord(words, w)),
      ...q.phrases.map((p) => text.includes(p)),
      ...q.hashtags.map((h) => tags.includes(h)),
    ];
    if (checks.length > 0 && !(opts.isOrSearch ? checks.some(Boolean) : checks.every(Boolean))) continue;
    results.push(post);
  }
  results.sort((a, b) => b.create_at - a.create_at);
  return results;
}
