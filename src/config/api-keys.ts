/**
 * API keys for /mcp. From env: `key` or `name:key:scopes` (scopes joined by
 * `+`). From a file: entries that may hold a SHA-256 hash instead of the key,
 * and a channel policy of their own.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type ApiKeyEntry = {
  name: string;
  /** Hex SHA-256 of the key: keys are only ever compared hashed. */
  sha256: string;
  scopes: Scope[];
  channels?: { allow: string[]; deny: string[] };
  allowDirect?: boolean;
};

export const MIN_KEY_LENGTH = 16;
export const DEFAULT_SCOPES: Scope[] = ['read', 'write'];

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function parseScopes(raw: string): Scope[] | string {
  const scopes = raw.split('+').map((s) => s.trim().toLowerCase());
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length) return `unknown scope "${bad[0]}" (scopes are ${SCOPES.join(', ')}, joined by +)`;
  return [...new Set(scopes)] as Scope[];
}

/** Returns the entries, or a message naming the first bad entry (by position, never by its secret). */
export function parseApiKeyList(value: string): ApiKeyEntry[] | string {
  const entries: ApiKeyEntry[] = [];
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const fields = part.split(':');
    let name = `key${i + 1}`;
    let key = part;
    let scopes: Scope[] = DEFAULT_SCOPES;
    if (fields.length === 3) {
      [name, key] = fields;
      const s = parseScopes(fields[2]);
      if (typeof s === 'string') return `entry ${i + 1}: ${s}`;
      scopes = s;
    } else if (fields.length !== 1) {
      return `entry ${i + 1} must be a bare key or name:key:scopes`;
    }
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return `entry ${i + 1}: name must be 1-64 letters, digits or _ . -`;
    if (key.length < MIN_KEY_LENGTH) return `entry ${i + 1}: key must be at least ${MIN_KEY_LENGTH} characters`;
    entries.push({ name, sha256: hashKey(key), scopes });
  }
  if (entries.length === 0) return 'must hold at least one key';
  return entries;
}

const fileEntry = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits or _ . -'),
    key: z.string().min(MIN_KEY_LENGTH, `must be at least ${MIN_KEY_LENGTH} characters`).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits')
      .optional(),
    scopes: z.array(z.enum(SCOPES)).min(1).default(DEFAULT_SCOPES),
    channels: z.object({ allow: z.array(z.string()).default([]), deny: z.array(z.string()).default([]) }).optional(),
    allowDirect: z.boolean().optional(),
  })
  .strict()
  .refine((e) => Boolean(e.key) !== Boolean(e.sha256), { message: 'give exactly one of key or sha256' });

export const apiKeysFileSchema = z.array(fileEntry).min(1, 'must list at least one key');

export function entriesFromFile(data: z.output<typeof apiKeysFileSchema>): ApiKeyEntry[] {
  return data.map((e) => ({
    name: e.name,
    sha256: (e.sha256 ?? hashKey(e.key!)).toLowerCase(),
    scopes: e.scopes,
    channels: e.channels,
    allowDirect: e.allowDirect,
  }));
}
