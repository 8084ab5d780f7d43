/**
 * Slash-command tokens: the ones `install` saved in Redis (a hash
 * commandId → token, one entry per team the command is registered in) plus
 * BRIDGE_SLASH_TOKENS. A presented token is compared with every known token,
 * hashed to equal length and through `timingSafeEqual`, with no early exit, so
 * the response time says nothing about how close a guess was.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Constant-time membership: true when `presented` equals one of `known`. */
export function tokenMatches(presented: string, known: readonly string[]): boolean {
  const p = digest(presented);
  let found = false;
  for (const token of known) {
    // The comparison comes first, so every token is compared whatever the earlier ones said.
    found = timingSafeEqual(p, digest(token)) || found;
  }
  return found;
}

export interface SlashTokenSource {
  /** Every token currently accepted. */
  tokens(): Promise<string[]>;
}

/**
 * Tokens from Redis (re-read at most every `cacheMs`, so a fresh `install`
 * is honoured within a second without a Redis round trip per request) and
 * from config.
 */
export class RedisSlashTokens implements SlashTokenSource {
  private cached?: { at: number; tokens: string[] };

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly configured: readonly string[],
    private readonly cacheMs = 1000,
  ) {}

  async tokens(): Promise<string[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.cacheMs) {
      const stored = await this.redis.hvals(this.key);
      this.cached = { at: now, tokens: [...this.configured, ...stored].filter((t) => t.length > 0) };
    }
    return this.cached.tokens;
  }

  /** Forget the cache (after install/uninstall in the same process). */
  invalidate(): void {
    this.cached = undefined;
  }
}

/** The token a request presents: the form's `token`, or `Authorization: Token <t>` when the form has none. */
export function presentedToken(formToken: string | undefined, authorization: string | undefined): string | undefined {
  if (formToken) return formToken;
  const m = /^\s*token\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}
