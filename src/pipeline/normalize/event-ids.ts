/**
 * Deterministic event ids (docs/event-pipeline.md): the same Mattermost
 * change gets the same id whether the WebSocket, a replay or REST catch-up
 * delivered it, so the log's dedup keeps it once. Each id is built from
 * what identifies the change in Mattermost's own data.
 */
export const eventIds = {
  postCreated: (postId: string) => `post.created:${postId}`,
  /** `edit_at` identifies a content edit; an edit event without one (pin, props) uses `u<update_at>`. */
  postEdited: (postId: string, editAt: number | undefined, updateAt: number | undefined) =>
    editAt ? `post.edited:${postId}:${editAt}` : `post.edited:${postId}:u${updateAt ?? 0}`,
  postDeleted: (postId: string) => `post.deleted:${postId}`,
  reactionAdded: (postId: string, userId: string, emoji: string, createAt: number) =>
    `reaction.added:${postId}:${userId}:${emoji}:${createAt}`,
  /** A reaction removed is identified by when it was removed (delete_at) when the server says, else its create_at. */
  reactionRemoved: (postId: string, userId: string, emoji: string, at: number | string) =>
    `reaction.removed:${postId}:${userId}:${emoji}:${at}`,
  statusChanged: (userId: string, status: string, ref: string | number) => `status.changed:${userId}:${status}:${ref}`,
  channelCreated: (channelId: string) => `channel.created:${channelId}`,
  channelUpdated: (channelId: string, ref: string | number) => `channel.updated:${channelId}:${ref}`,
  channelDeleted: (channelId: string, deleteAt: string | number) => `channel.deleted:${channelId}:${deleteAt}`,
  /** Membership events carry no time: the delivery (`<connection_id>:<seq>`, stable across a replay) identifies them. */
  memberAdded: (channelId: string, userId: string, ref: string) => `member.added:${channelId}:${userId}:${ref}`,
  memberRemoved: (channelId: string, userId: string, ref: string) => `member.removed:${channelId}:${userId}:${ref}`,
  userCreated: (userId: string) => `user.created:${userId}`,
  userUpdated: (userId: string, ref: string | number) => `user.updated:${userId}:${ref}`,
  commandInvoked: (requestId: string) => `command.invoked:${requestId}`,
  commandAnswered: (requestId: string) => `command.answered:${requestId}`,
};
