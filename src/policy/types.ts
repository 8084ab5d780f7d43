/** A channel as policy sees it: ids plus names, so `~name` and `team:name` rules can match. */
export interface ChannelRef {
  id: string;
  name?: string;
  teamId?: string;
  teamName?: string;
  /** O open, P private, D direct, G group */
  type?: 'O' | 'P' | 'D' | 'G';
}

export type PolicyDecision = { ok: true } | { ok: false; reason: string };

/** Allow/deny lists (id, `~name`, `team:name`) plus the DM/GM guard; deny wins. */
export interface ChannelPolicyRules {
  allow: string[];
  deny: string[];
  allowDirect: boolean;
}
