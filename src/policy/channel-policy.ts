/**
 * Channel policy: allow/deny rules (id, `~name`, `team:name`) and the DM/GM
 * guard. Deny wins; an empty allow list allows every channel not denied.
 */
import type { ChannelPolicyRules, ChannelRef, PolicyDecision } from './types';

export class ChannelPolicy {
  constructor(readonly rules: ChannelPolicyRules) {}

  check(_channel: ChannelRef): PolicyDecision {
    throw new Error('ChannelPolicy.check: not implemented yet (event pipeline issue)');
  }
}
