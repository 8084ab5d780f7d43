/**
 * DNS-rebinding protection for /mcp: the Host header must name this server
 * (bind address, loopback names, BRIDGE_PUBLIC_URL's host, BRIDGE_ALLOWED_HOSTS),
 * and an Origin, when sent, must be one of those hosts or listed in
 * BRIDGE_ALLOWED_ORIGINS. Failures get 403 with a JSON-RPC error body.
 */
import type { BridgeConfig } from '../../config/load';

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_BINDS = ['0.0.0.0', '::', ''];

export type HostPolicy = {
  /** Host names (no port), lower case; `*` accepts any. */
  hosts: Set<string>;
  /** Exact origins (`scheme://host[:port]`), lower case; `*` accepts any. */
  origins: Set<string>;
};

/** `[::1]:8080` → `::1`, `Example.com:80` → `example.com`. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function hostPolicy(
  config: Pick<BridgeConfig, 'BRIDGE_HOST' | 'BRIDGE_PUBLIC_URL' | 'BRIDGE_ALLOWED_HOSTS' | 'BRIDGE_ALLOWED_ORIGINS'>,
): HostPolicy {
  const hosts = new Set(LOOPBACK);
  const bind = hostName(config.BRIDGE_HOST);
  if (!WILDCARD_BINDS.includes(bind)) hosts.add(bind);
  if (config.BRIDGE_PUBLIC_URL)
    hosts.add(new URL(config.BRIDGE_PUBLIC_URL).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  for (const h of config.BRIDGE_ALLOWED_HOSTS) hosts.add(h === '*' ? '*' : hostName(h));
  const origins = new Set(config.BRIDGE_ALLOWED_ORIGINS.map((o) => o.trim().toLowerCase().replace(/\/+$/, '')));
  return { hosts, origins };
}

export function hostAllowed(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  return policy.hosts.has('*') || policy.hosts.has(hostName(hostHeader));
}

export function originAllowed(policy: HostPolicy, origin: string | undefined): boolean {
  if (origin === undefined) return true; // non-browser clients send none
  const o = origin.trim().toLowerCase();
  if (policy.origins.has('*') || policy.origins.has(o)) return true;
  try {
    const u = new URL(o);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    return policy.hosts.has(u.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

export function forbidden(message: string) {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}

/** Why a request's Host or Origin is refused (the 403 message), or undefined when both pass. */
export function hostOriginProblem(policy: HostPolicy, headers: { host?: string; origin?: string }): string | undefined {
  if (!hostAllowed(policy, headers.host)) {
    return `Invalid Host header: ${String(headers.host ?? '').slice(0, 100)}; add it to BRIDGE_ALLOWED_HOSTS`;
  }
  const origin = headers.origin;
  if (!originAllowed(policy, origin)) {
    return `Invalid Origin header: ${String(origin).slice(0, 100)}; add it to BRIDGE_ALLOWED_ORIGINS`;
  }
  return undefined;
}
