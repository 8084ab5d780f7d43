/**
 * Who may run `/mcp watch`, `/mcp unwatch` (BRIDGE_WATCH_ROLES) and
 * `/mcp sessions` (system admins): decided from the roles Mattermost reports
 * through its REST API, as the bot sees them — the user's system roles and
 * their membership (and channel-admin role) in the channel concerned.
 */
import type { Client4 } from '@mattermost/client';
import { isMattermostError } from '../mattermost/client';

export type WatchRole = 'system_admin' | 'channel_admin' | 'member';

export interface UserRoles {
  systemAdmin: boolean;
  /** Undefined when the bot cannot see the user's membership of the channel (e.g. a private channel without the bot). */
  channelMember?: boolean;
  channelAdmin?: boolean;
}

const hasRole = (roles: string | undefined, role: string) => (roles ?? '').split(/\s+/).includes(role);

function isAbsent(err: unknown): boolean {
  return isMattermostError(err) && (err.status === 404 || err.status === 403);
}

export async function userRoles(client: Client4, userId: string, channelId?: string): Promise<UserRoles> {
  const user = await client.getUser(userId);
  const out: UserRoles = { systemAdmin: hasRole(user.roles, 'system_admin') };
  if (!channelId) return out;
  try {
    const member = await client.getChannelMember(channelId, userId);
    out.channelMember = true;
    out.channelAdmin =
      hasRole(member.roles, 'channel_admin') || (member as { scheme_admin?: boolean }).scheme_admin === true;
  } catch (err) {
    if (!isAbsent(err)) throw err;
    // 404: not a member; 403: the bot may not look (it is not in that private channel).
    const status = isMattermostError(err) ? err.status : 0;
    if (status === 404) out.channelMember = false;
  }
  return out;
}

/** Whether these roles include one of the allowed ones. */
export function allowedBy(roles: UserRoles, allowed: readonly WatchRole[]): boolean {
  if (allowed.includes('system_admin') && roles.systemAdmin) return true;
  if (allowed.includes('channel_admin') && roles.channelAdmin) return true;
  if (allowed.includes('member') && roles.channelMember) return true;
  return false;
}

const ROLE_NAMES: Record<WatchRole, string> = {
  system_admin: 'system admins',
  channel_admin: 'channel admins',
  member: 'channel members',
};

export function describeRoles(allowed: readonly WatchRole[]): string {
  const names = allowed.map((r) => ROLE_NAMES[r]);
  return names.length <= 1 ? (names[0] ?? 'nobody') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
