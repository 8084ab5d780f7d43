/** The update record (brief §4.5): the one shape every consumer of the event log sees. */
export const UPDATE_TYPES = [
  'post.created',
  'post.edited',
  'post.deleted',
  'reaction.added',
  'reaction.removed',
  'status.changed',
  'channel.created',
  'channel.updated',
  'channel.deleted',
  'member.added',
  'member.removed',
  'user.created',
  'user.updated',
  'command.invoked',
  'command.answered',
] as const;

export type UpdateType = (typeof UPDATE_TYPES)[number];

export interface UpdateRecord {
  /** The Redis stream entry id, e.g. `1763683200000-0`: pass it back as `cursor` to continue after it. */
  cursor: string;
  /** Deterministic: the same Mattermost change always gets the same id, so it lands once. */
  eventId: string;
  type: UpdateType;
  /** The primary resource this update belongs to. */
  uri: string;
  /** ISO-8601 time of the change in Mattermost. */
  at: string;
  teamId?: string;
  channelId?: string;
  userId?: string;
  data: Record<string, unknown>;
}

/** What a normalizer produces: a record without cursor, plus every resource stream it belongs to. */
export interface NewUpdate extends Omit<UpdateRecord, 'cursor'> {
  /** Resource URIs whose streams get this update (the firehose `mattermost://events` is implied). */
  uris: string[];
}
