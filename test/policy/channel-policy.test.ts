import fc from 'fast-check';
import { ChannelPolicy } from '../../src/policy/channel-policy';
import type { ChannelRef } from '../../src/policy/types';

const TEAM_ID = '68ia7ywnopny8nmcdrkatmytjh';
const town: ChannelRef = {
  id: '1waumyyd6jyczrxntuiopybygy',
  name: 'town-square',
  teamId: TEAM_ID,
  teamName: 'acme',
  type: 'O',
};
const offTopic: ChannelRef = {
  id: 'offtopicyd6jyczrxntuiopyby',
  name: 'off-topic',
  teamId: TEAM_ID,
  teamName: 'acme',
  type: 'O',
};
const dev: ChannelRef = { id: 'devdevyd6jyczrxntuiopybygy', name: 'dev', teamId: TEAM_ID, teamName: 'acme', type: 'P' };
const dm: ChannelRef = { id: 'dmdmdmyd6jyczrxntuiopybygy', name: 'a__b', type: 'D' };
const gm: ChannelRef = { id: 'gmgmgmyd6jyczrxntuiopybygy', name: 'abcdef', type: 'G' };

const policy = (allow: string[] = [], deny: string[] = [], allowDirect = false) =>
  new ChannelPolicy({ allow, deny, allowDirect });

describe('ChannelPolicy', () => {
  test('no rules: every team channel, no DMs or group messages', () => {
    expect(policy().check(town)).toEqual({ ok: true });
    expect(policy().check(dev)).toEqual({ ok: true });
    expect(policy().check(dm)).toEqual({
      ok: false,
      reason: 'direct and group messages are off (channel ~a__b); BRIDGE_ALLOW_DIRECT=true allows them',
    });
    expect(policy().check(gm).ok).toBe(false);
    expect(policy([], [], true).check(dm)).toEqual({ ok: true });
  });

  test('deny by ~name, team:name, team:~name and id; deny wins over allow', () => {
    expect(policy([], ['~off-topic']).check(offTopic)).toEqual({
      ok: false,
      reason: 'channel ~off-topic is denied by BRIDGE_CHANNELS_DENY; remove it from that list to allow it',
    });
    expect(policy([], ['acme:dev']).check(dev).ok).toBe(false);
    expect(policy([], ['ACME:~Dev']).check(dev).ok).toBe(false);
    expect(policy([], [dev.id]).check(dev).ok).toBe(false);
    expect(policy([], ['other:dev']).check(dev).ok).toBe(true);
    expect(policy(['~off-topic'], ['~off-topic']).check(offTopic).ok).toBe(false);
    expect(policy([], ['~off-topic']).check(town).ok).toBe(true);
  });

  test('a non-empty allow list admits only its channels, and says how to add one', () => {
    const p = policy(['acme:dev', '~town-square']);
    expect(p.check(dev).ok).toBe(true);
    expect(p.check(town).ok).toBe(true);
    expect(p.check(offTopic)).toEqual({
      ok: false,
      reason: 'channel ~off-topic is not in BRIDGE_CHANNELS_ALLOW (acme:dev, ~town-square); add it there to allow it',
    });
    // DMs follow allowDirect, not the allow list
    expect(policy(['~town-square'], [], true).check(dm).ok).toBe(true);
    expect(policy([], [dm.id], true).check(dm).ok).toBe(false);
  });

  test('fails closed when a name rule cannot be checked', () => {
    const idOnly: ChannelRef = { id: offTopic.id, type: 'O' };
    expect(policy([], ['~off-topic']).check(idOnly)).toEqual({
      ok: false,
      reason: `channel ${offTopic.id} cannot be checked against BRIDGE_CHANNELS_DENY: its name or team is unknown`,
    });
    expect(policy([], [dev.id]).check(idOnly).ok).toBe(true);
    expect(policy(['~off-topic']).check(idOnly).ok).toBe(false);
    // team unknown but a different channel name: the team rule cannot match
    expect(policy([], ['acme:dev']).check({ id: town.id, name: 'town-square', type: 'O' }).ok).toBe(true);
    expect(policy([], ['acme:dev']).check({ id: dev.id, name: 'dev', type: 'P' }).ok).toBe(false);
    expect(policy([], ['acme:dev']).check({ id: dev.id, name: 'dev', teamId: TEAM_ID, type: 'P' }).ok).toBe(false);
  });

  test('narrowed by an API key: both must allow; the refusal names the key', () => {
    const global = policy([], ['~off-topic'], true);
    const key = global.narrow({ deny: ['acme:dev'] }, 'ci-agent');
    expect(key.check(town).ok).toBe(true);
    expect(key.check(offTopic).ok).toBe(false);
    expect(key.check(dev)).toEqual({
      ok: false,
      reason:
        'channel ~dev is denied by the deny list of the channel rules of API key ci-agent; remove it from that list to allow it',
    });
    expect(key.check(dm).ok).toBe(true);
    expect(global.narrow({ allowDirect: false }, 'k').check(dm)).toEqual({
      ok: false,
      reason:
        'direct and group messages are off (channel ~a__b); allowDirect: true in the channel rules of API key k allows them',
    });
    // a key cannot widen the global policy
    expect(
      policy()
        .narrow({ allowDirect: true, allow: ['~off-topic'] }, 'k')
        .check(dm).ok,
    ).toBe(false);
    expect(
      policy([], ['~off-topic'])
        .narrow({ allow: ['~off-topic'] }, 'k')
        .check(offTopic).ok,
    ).toBe(false);
    expect(global.narrow(undefined, 'k')).toBe(global);
    expect(global.narrow({ allow: ['~town-square'] }, 'k').check(dev).ok).toBe(false);
  });

  test('property: never throws; a denied channel is refused; narrowing never widens', () => {
    const names = ['town-square', 'off-topic', 'dev', 'a__b', 'x'];
    const rule = fc.oneof(
      fc.constantFrom(...names.map((n) => `~${n}`), 'acme:dev', 'acme:~town-square', town.id, dev.id),
      fc.string({ maxLength: 30 }),
    );
    const ref = fc.record(
      {
        id: fc.constantFrom(town.id, dev.id, offTopic.id, dm.id, 'x'),
        name: fc.constantFrom(...names),
        teamId: fc.constantFrom(TEAM_ID, 'other'),
        teamName: fc.constantFrom('acme', 'other'),
        type: fc.constantFrom('O' as const, 'P' as const, 'D' as const, 'G' as const),
      },
      { requiredKeys: ['id'] },
    );
    const rules = fc.record({
      allow: fc.array(rule, { maxLength: 4 }),
      deny: fc.array(rule, { maxLength: 4 }),
      allowDirect: fc.boolean(),
    });
    fc.assert(
      fc.property(rules, rules, ref, (g, k, c) => {
        const global = new ChannelPolicy(g);
        const decision = global.check(c);
        expect(typeof decision.ok).toBe('boolean');
        if (!decision.ok) expect(decision.reason.length).toBeGreaterThan(10);
        if (c.name && g.deny.includes(`~${c.name}`) && c.type !== 'D' && c.type !== 'G')
          expect(decision.ok).toBe(false);
        if (global.narrow(k, 'key').check(c).ok) expect(decision.ok).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
