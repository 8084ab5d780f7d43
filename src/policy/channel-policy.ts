/**
 * Channel policy: allow/deny rules (id, `~name`, `team:name`) and the DM/GM
 * guard. Deny wins; an empty allow list allows every channel not denied.
 * Direct and group channels are governed by allowDirect (and deny by id), not
 * by the allow list. A policy narrowed by an API key's own rules must pass
 * both the global rules and the key's; refusals say which setting to change.
 */
import type { ChannelPolicyRules, ChannelRef, PolicyDecision } from './types';

/** Names of the settings a refusal points to. */
export interface PolicySource {
  allow: string;
  deny: string;
  direct: string;
}

export const GLOBAL_POLICY_SOURCE: PolicySource = {
  allow: 'BRIDGE_CHANNELS_ALLOW',
  deny: 'BRIDGE_CHANNELS_DENY',
  direct: 'BRIDGE_ALLOW_DIRECT=true',
};

/** An API key's own channel rules (from BRIDGE_API_KEYS_FILE); absent fields add no restriction. */
export interface KeyChannelRules {
  allow?: string[];
  deny?: string[];
  allowDirect?: boolean;
}

type Rule =
  | { kind: 'id'; id: string }
  | { kind: 'id-or-name'; value: string }
  | { kind: 'name'; name: string }
  | { kind: 'team'; team: string; name: string };

function parseRule(raw: string): Rule | undefined {
  const rule = raw.trim();
  if (!rule) return undefined;
  if (rule.startsWith('~')) return { kind: 'name', name: rule.slice(1).toLowerCase() };
  const colon = rule.indexOf(':');
  if (colon > 0) {
    return {
      kind: 'team',
      team: rule.slice(0, colon).toLowerCase(),
      name: rule
        .slice(colon + 1)
        .replace(/^~/, '')
        .toLowerCase(),
    };
  }
  if (/^[a-z0-9]{26}$/.test(rule)) return { kind: 'id', id: rule };
  return { kind: 'id-or-name', value: rule.toLowerCase() };
}

/** true / false, or undefined when the channel lacks the names the rule needs. */
function matches(rule: Rule, c: ChannelRef): boolean | undefined {
  const name = c.name?.toLowerCase();
  switch (rule.kind) {
    case 'id':
      return c.id === rule.id;
    case 'id-or-name':
      if (c.id.toLowerCase() === rule.value) return true;
      return name === undefined ? undefined : name === rule.value;
    case 'name':
      return name === undefined ? undefined : name === rule.name;
    case 'team': {
      if (name === undefined) return undefined;
      const team = rule.team;
      if (c.teamId?.toLowerCase() === team || c.teamName?.toLowerCase() === team) return name === rule.name;
      // the team is named by the rule but unknown here: only a different channel name settles it
      if (c.teamName === undefined && c.type !== 'D' && c.type !== 'G') return name === rule.name ? undefined : false;
      return false;
    }
  }
}

export function channelLabel(c: ChannelRef): string {
  return c.name ? `~${c.name}` : c.id;
}

const isDirect = (c: ChannelRef) => c.type === 'D' || c.type === 'G';

export class ChannelPolicy {
  private readonly allow: Rule[];
  private readonly deny: Rule[];

  constructor(
    readonly rules: ChannelPolicyRules,
    readonly source: PolicySource = GLOBAL_POLICY_SOURCE,
    /** A wider policy this one narrows: it must allow the channel too. */
    private readonly parent?: ChannelPolicy,
  ) {
    this.allow = rules.allow.map(parseRule).filter((r): r is Rule => r !== undefined);
    this.deny = rules.deny.map(parseRule).filter((r): r is Rule => r !== undefined);
  }

  /** The global policy of the config (BRIDGE_CHANNELS_ALLOW / DENY, BRIDGE_ALLOW_DIRECT). */
  static fromConfig(config: {
    BRIDGE_CHANNELS_ALLOW: string[];
    BRIDGE_CHANNELS_DENY: string[];
    BRIDGE_ALLOW_DIRECT: boolean;
  }): ChannelPolicy {
    return new ChannelPolicy({
      allow: config.BRIDGE_CHANNELS_ALLOW,
      deny: config.BRIDGE_CHANNELS_DENY,
      allowDirect: config.BRIDGE_ALLOW_DIRECT,
    });
  }

  /** Whether direct and group messages pass this policy (and every policy it narrows). */
  get allowsDirect(): boolean {
    return this.rules.allowDirect && (this.parent?.allowsDirect ?? true);
  }

  check(channel: ChannelRef): PolicyDecision {
    if (this.parent) {
      const wider = this.parent.check(channel);
      if (!wider.ok) return wider;
    }
    const label = channelLabel(channel);
    if (isDirect(channel) && !this.rules.allowDirect) {
      return {
        ok: false,
        reason: `direct and group messages are off (channel ${label}); ${this.source.direct} allows them`,
      };
    }
    for (const rule of this.deny) {
      const m = matches(rule, channel);
      if (m === true) {
        return {
          ok: false,
          reason: `channel ${label} is denied by ${this.source.deny}; remove it from that list to allow it`,
        };
      }
      if (m === undefined && !isDirect(channel)) {
        return {
          ok: false,
          reason: `channel ${channel.id} cannot be checked against ${this.source.deny}: its name or team is unknown`,
        };
      }
    }
    if (this.allow.length && !isDirect(channel) && !this.allow.some((rule) => matches(rule, channel) === true)) {
      return {
        ok: false,
        reason: `channel ${label} is not in ${this.source.allow} (${this.rules.allow.join(', ')}); add it there to allow it`,
      };
    }
    return { ok: true };
  }

  /** This policy narrowed by an API key's own rules: a channel must pass both. */
  narrow(keyRules: KeyChannelRules | undefined, keyName: string): ChannelPolicy {
    if (!keyRules || (!keyRules.allow?.length && !keyRules.deny?.length && keyRules.allowDirect === undefined)) {
      return this;
    }
    const where = `the channel rules of API key ${keyName}`;
    return new ChannelPolicy(
      {
        allow: keyRules.allow ?? [],
        deny: keyRules.deny ?? [],
        allowDirect: keyRules.allowDirect ?? this.allowsDirect,
      },
      {
        allow: `the allow list of ${where}`,
        deny: `the deny list of ${where}`,
        direct: `allowDirect: true in ${where}`,
      },
      this,
    );
  }
}
