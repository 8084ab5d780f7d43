/**
 * API keys for /mcp. Keys are only ever held as SHA-256 hashes: the presented
 * key is hashed and compared with every configured hash in constant time
 * (no early exit, so timing says nothing about which key nearly matched).
 */
import { timingSafeEqual } from 'node:crypto';
import type { BridgeConfig } from '../config/load';
import { SCOPES, hashKey, type Scope } from '../config/api-keys';
import type { ChannelPolicy } from '../policy/channel-policy';
import { policyForKey } from './policy';

/** Who is calling: the key's name (never the key), its scopes and its channel policy. */
export interface Identity {
  keyName: string;
  scopes: Scope[];
  policy: ChannelPolicy;
}

export const LOCAL_KEY_NAME = 'local';

/** The identity of stdio and of BRIDGE_AUTH=none: every scope, the global policy. */
export function localIdentity(policy: ChannelPolicy): Identity {
  return { keyName: LOCAL_KEY_NAME, scopes: [...SCOPES], policy };
}

/** `Bearer <key>` (scheme case-insensitive) → the key; anything else → undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export class ApiKeyAuthenticator {
  private readonly entries: { identity: Identity; digest: Buffer }[];
  readonly mode: 'keys' | 'none';
  private readonly local: Identity;

  constructor(config: Pick<BridgeConfig, 'apiKeys' | 'BRIDGE_AUTH'>, globalPolicy: ChannelPolicy) {
    this.mode = config.BRIDGE_AUTH;
    this.local = localIdentity(globalPolicy);
    this.entries = config.apiKeys.map((e) => ({
      digest: Buffer.from(e.sha256.toLowerCase(), 'hex'),
      identity: { keyName: e.name, scopes: [...e.scopes], policy: policyForKey(globalPolicy, e) },
    }));
  }

  /** The identity for an Authorization header, or undefined when the key is missing or wrong. */
  authenticate(authorization: string | undefined): Identity | undefined {
    if (this.mode === 'none') return this.local;
    const key = bearerToken(authorization);
    if (!key) return undefined;
    const digest = Buffer.from(hashKey(key), 'hex');
    let found: Identity | undefined;
    for (const entry of this.entries) {
      if (entry.digest.length === digest.length && timingSafeEqual(entry.digest, digest)) found ??= entry.identity;
    }
    return found;
  }
}

export function hasScope(identity: Pick<Identity, 'scopes'>, scope: Scope): boolean {
  return identity.scopes.includes(scope) || identity.scopes.includes('admin');
}
