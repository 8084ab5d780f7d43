/**
 * What a session may see: the global channel policy narrowed by its API key's
 * own rules, applied to channels and to update records alike.
 */
import type { ApiKeyEntry } from '../config/api-keys';
import type { ChannelPolicy } from '../policy/channel-policy';
import type { ChannelRef } from '../policy/types';
import type { UpdateRecord } from '../updates/record';

/** The policy of a key: the global one, narrowed when the key has channel rules of its own. */
export function policyForKey(
  global: ChannelPolicy,
  entry: Pick<ApiKeyEntry, 'name' | 'channels' | 'allowDirect'>,
): ChannelPolicy {
  return global.narrow({ ...entry.channels, allowDirect: entry.allowDirect }, entry.name);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** The channel an update concerns, with whatever names it carries (for `~name` / `team:name` rules). */
export function channelRefOf(update: UpdateRecord): ChannelRef | undefined {
  if (!update.channelId) return undefined;
  const data = update.data as Record<string, Record<string, unknown> | undefined>;
  const post = data.post;
  const channel = data.channel;
  const type = str(channel?.type) ?? str(post?.channelType) ?? str(data.channelType as unknown);
  return {
    id: update.channelId,
    name: str(channel?.name) ?? str(post?.channelName) ?? str(data.channelName as unknown),
    teamId: update.teamId ?? str(channel?.teamId) ?? str(channel?.team_id),
    teamName: str(channel?.teamName) ?? str(post?.teamName) ?? str(data.teamName as unknown),
    type: type as ChannelRef['type'],
  };
}

/**
 * Whether a session with this policy may see the update. Updates without a
 * channel (presence, user profile changes) are not channel-scoped and pass.
 */
export function updateVisible(policy: ChannelPolicy, update: UpdateRecord): boolean {
  const ref = channelRefOf(update);
  if (!ref) return true;
  try {
    return policy.check(ref).ok;
  } catch {
    return false;
  }
}
