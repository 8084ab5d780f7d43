import fc from 'fast-check';
import { COMMANDS, findCommand, helpText, splitText, UsageError } from '../../src/slash/commands';
import type { InvocationForm } from '../../src/slash/context';
import { allowedBy, describeRoles } from '../../src/slash/permissions';

const form: InvocationForm = {
  teamId: 'ybndrfg8ejkmcpqxot1uwisza3',
  teamDomain: 'acme',
  channelId: '45h769ybndrfg8ejkmcpqxot1u',
  channelName: 'town-square',
  userId: 'wisza345h769ybndrfg8ejkmcp',
  userName: 'alice',
  command: '/mcp',
  text: '',
  triggerId: '',
  responseUrl: '',
  userMentions: [],
  channelMentions: [{ name: 'dev', id: 'qxot1uwisza345h769ybndrfg8' }],
};

describe('the command table', () => {
  it('splits the subcommand off, case-insensitively; empty text is help', () => {
    expect(splitText('')).toEqual({ name: 'help', rest: '' });
    expect(splitText('  ASK  do\nthis  ')).toEqual({ name: 'ask', rest: 'do\nthis' });
    expect(splitText('watch')).toEqual({ name: 'watch', rest: '' });
  });

  it('parses channel arguments, taking ids from channel_mentions', () => {
    const watch = findCommand('watch');
    expect(watch?.parse('', form)).toEqual({});
    expect(watch?.parse('~dev', form)).toEqual({ channel: { id: 'qxot1uwisza345h769ybndrfg8', name: 'dev' } });
    expect(watch?.parse('~Design', form)).toEqual({ channel: { name: 'design' } });
    expect(watch?.parse('45h769ybndrfg8ejkmcpqxot1u', form)).toEqual({ channel: { id: '45h769ybndrfg8ejkmcpqxot1u' } });
    expect(watch?.parse('~a ~b', form)).toBeInstanceOf(UsageError);
  });

  it('parses ask options', () => {
    const ask = findCommand('ask');
    expect(ask?.parse('sum it up', form)).toEqual({ text: 'sum it up', reply: 'thread' });
    expect(ask?.parse('--PRIVATE  sum it up', form)).toEqual({ text: 'sum it up', reply: 'private' });
    expect(ask?.parse('--channel sum', form)).toEqual({ text: 'sum', reply: 'channel' });
    expect(ask?.parse('--private', form)).toBeInstanceOf(UsageError);
  });

  it('never throws on any argument text (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMMANDS.map((c) => c.name)), fc.string({ maxLength: 300 }), (name, rest) => {
        const r = findCommand(name)?.parse(rest, form);
        expect(r).not.toBeUndefined();
        // args travel in BullMQ jobs: they must survive JSON
        if (!(r instanceof UsageError)) expect(JSON.parse(JSON.stringify(r ?? null))).toEqual(r ?? null);
      }),
    );
  });

  it('help follows BRIDGE_WATCH_ROLES', () => {
    expect(helpText('/mcp', ['member'])).toMatch(/`\/mcp watch \[~channel\]` \| .* \| channel members \|/);
    expect(describeRoles(['system_admin', 'channel_admin', 'member'])).toBe(
      'system admins, channel admins and channel members',
    );
  });

  it('decides watch permissions from the roles Mattermost reports', () => {
    const admins = ['system_admin', 'channel_admin'] as const;
    expect(allowedBy({ systemAdmin: true }, admins)).toBe(true);
    expect(allowedBy({ systemAdmin: false, channelMember: true, channelAdmin: true }, admins)).toBe(true);
    expect(allowedBy({ systemAdmin: false, channelMember: true, channelAdmin: false }, admins)).toBe(false);
    expect(allowedBy({ systemAdmin: false, channelMember: true, channelAdmin: false }, ['member'])).toBe(true);
    expect(allowedBy({ systemAdmin: false }, ['member'])).toBe(false);
  });
});
