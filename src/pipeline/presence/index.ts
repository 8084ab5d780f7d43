/** Presence polling: status.changed for the members of streamed channels. */
export {
  pollPresence,
  membersOf,
  statusChangeEvent,
  MAX_PRESENCE_USERS,
  type PresenceDeps,
  type PresenceEnqueue,
  type PresenceReport,
} from './presence';
