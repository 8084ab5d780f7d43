/** Resource URIs (brief §4.4, fixed). One place builds and parses them. */
export const URIS = {
  events: 'mattermost://events',
  newChannelPosts: 'mattermost://new_channel_posts',
  reactions: 'mattermost://reactions',
  mentions: 'mattermost://mentions',
  commands: 'mattermost://commands',
  watches: 'mattermost://watches',
  stats: 'mattermost://stats',
  channelPosts: (channelId: string) => `mattermost://channels/${channelId}/posts`,
  thread: (postId: string) => `mattermost://posts/${postId}/thread`,
  userStatus: (userId: string) => `mattermost://users/${userId}/status`,
} as const;

export const URI_TEMPLATES = {
  channelPosts: 'mattermost://channels/{channel_id}/posts',
  thread: 'mattermost://posts/{post_id}/thread',
  userStatus: 'mattermost://users/{user_id}/status',
} as const;

export type ParsedUri =
  | { kind: 'events' | 'newChannelPosts' | 'reactions' | 'mentions' | 'commands' | 'watches' | 'stats' }
  | { kind: 'channelPosts'; channelId: string }
  | { kind: 'thread'; postId: string }
  | { kind: 'userStatus'; userId: string };

const FIXED: Record<string, ParsedUri['kind']> = {
  [URIS.events]: 'events',
  [URIS.newChannelPosts]: 'newChannelPosts',
  [URIS.reactions]: 'reactions',
  [URIS.mentions]: 'mentions',
  [URIS.commands]: 'commands',
  [URIS.watches]: 'watches',
  [URIS.stats]: 'stats',
};

const ID = '([a-z0-9]{26})';

/** Parses a bridge resource URI; undefined when it is not one. */
export function parseUri(uri: string): ParsedUri | undefined {
  const fixed = FIXED[uri];
  if (fixed) return { kind: fixed } as ParsedUri;
  let m = new RegExp(`^mattermost://channels/${ID}/posts$`).exec(uri);
  if (m) return { kind: 'channelPosts', channelId: m[1] };
  m = new RegExp(`^mattermost://posts/${ID}/thread$`).exec(uri);
  if (m) return { kind: 'thread', postId: m[1] };
  m = new RegExp(`^mattermost://users/${ID}/status$`).exec(uri);
  if (m) return { kind: 'userStatus', userId: m[1] };
  return undefined;
}
