/**
 * Names for ids: users, channels and teams, as the normalizer and the tools
 * need them to render `@alice` and `~town-square`. The implementation caches
 * (LRU + TTL) and is invalidated by `user_updated` / `channel_updated` events.
 */
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';

export interface Directory {
  user(id: string): Promise<UserProfile | undefined>;
  userByUsername(username: string): Promise<UserProfile | undefined>;
  /** Many users at once (one request for those not cached); ids not found are absent. Optional. */
  usersByIds?(ids: string[]): Promise<Map<string, UserProfile>>;
  channel(id: string): Promise<Channel | undefined>;
  channelByName(teamId: string, name: string): Promise<Channel | undefined>;
  team(id: string): Promise<Team | undefined>;
  teamByName(name: string): Promise<Team | undefined>;
  invalidate(kind: 'user' | 'channel' | 'team', id: string): void;
}
