import fc from 'fast-check';
import {
  decodeSlashForm,
  encodeSlashForm,
  MAX_FORM_BYTES,
  parseSlashForm,
  validateSlashForm,
} from '../../src/slash/form';

const FORM = 'application/x-www-form-urlencoded';
const ids = {
  team: 'ybndrfg8ejkmcpqxot1uwisza3',
  channel: '45h769ybndrfg8ejkmcpqxot1u',
  user: 'wisza345h769ybndrfg8ejkmcp',
  other: 'qxot1uwisza345h769ybndrfg8',
};

function fields(over: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    token: 'tok3n-abcdefghijklmnopqrstu',
    team_id: ids.team,
    team_domain: 'acme',
    channel_id: ids.channel,
    channel_name: 'town-square',
    user_id: ids.user,
    user_name: 'alice',
    command: '/mcp',
    text: 'ask summarize ~dev for @bob',
    trigger_id: 'dHJpZ2dlcg==',
    response_url: 'http://127.0.0.1:8065/hooks/commands/qxot1uwisza345h769ybndrfg8',
    ...over,
  };
}

describe('slash form parsing', () => {
  it('reads every field Mattermost sends, including the repeated mention keys in order', () => {
    const body = encodeSlashForm(
      fields({
        user_mentions: ['bob', 'carol'],
        user_mentions_ids: [ids.other, ids.user],
        channel_mentions: ['dev'],
        channel_mentions_ids: [ids.other],
      }),
    );
    const r = parseSlashForm(body, FORM);
    if (!r.ok) throw new Error(r.error);
    expect(r.form).toEqual({
      token: 'tok3n-abcdefghijklmnopqrstu',
      teamId: ids.team,
      teamDomain: 'acme',
      channelId: ids.channel,
      channelName: 'town-square',
      userId: ids.user,
      userName: 'alice',
      command: '/mcp',
      text: 'ask summarize ~dev for @bob',
      triggerId: 'dHJpZ2dlcg==',
      responseUrl: 'http://127.0.0.1:8065/hooks/commands/qxot1uwisza345h769ybndrfg8',
      userMentions: [
        { name: 'bob', id: ids.other },
        { name: 'carol', id: ids.user },
      ],
      channelMentions: [{ name: 'dev', id: ids.other }],
    });
  });

  it('decodes + as space and percent-encoded UTF-8', () => {
    const r = parseSlashForm(encodeSlashForm(fields({ text: 'ask résumé 👍 a+b=c & more' })), FORM);
    expect(r.ok && r.form.text).toBe('ask résumé 👍 a+b=c & more');
  });

  it.each([
    ['a missing team_id', encodeSlashForm({ ...fields(), team_id: '' }), /team_id is missing/],
    [
      'a malformed channel id',
      encodeSlashForm(fields({ channel_id: 'not-an-id' })),
      /channel_id is not a Mattermost id/,
    ],
    ['a command without slash', encodeSlashForm(fields({ command: 'mcp' })), /command must be/],
    ['a javascript: response_url', encodeSlashForm(fields({ response_url: 'javascript:alert(1)' })), /response_url/],
    [
      'unpaired mention lists',
      encodeSlashForm(fields({ user_mentions: ['bob'], user_mentions_ids: [] })),
      /user_mentions has 1 values but user_mentions_ids has 0/,
    ],
    ['a duplicated single field', `${encodeSlashForm(fields())}&token=again`, /token is given more than once/],
    ['broken percent-encoding', `${encodeSlashForm(fields())}&text2=%E0%A4%A`, /not valid percent-encoded UTF-8/],
    [
      'percent-encoded invalid UTF-8',
      encodeSlashForm(fields()).replace('text=ask', 'text=%FFask'),
      /percent-encoded UTF-8/,
    ],
    ['a NUL in a field', encodeSlashForm(fields({ text: 'a\u0000b' })), /NUL/],
    ['an empty body', '', /empty/],
    ['text over 16,383 characters', encodeSlashForm(fields({ text: 'x'.repeat(16_384) })), /text is 16384 characters/],
  ])('refuses %s with a message', (_what, body, message) => {
    const r = parseSlashForm(body, FORM);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('refuses raw bytes that are not UTF-8, other charsets and other content types', () => {
    const raw = Buffer.concat([Buffer.from(encodeSlashForm(fields())), Buffer.from([0x26, 0x78, 0x3d, 0xc3, 0x28])]);
    expect(parseSlashForm(raw, FORM)).toEqual({ ok: false, error: 'the form is not valid UTF-8' });
    expect(parseSlashForm(encodeSlashForm(fields()), `${FORM}; charset=ISO-8859-1`)).toMatchObject({ ok: false });
    expect(parseSlashForm(encodeSlashForm(fields()), 'application/json')).toMatchObject({
      ok: false,
      error: expect.stringContaining('expected Content-Type application/x-www-form-urlencoded'),
    });
    expect(parseSlashForm(encodeSlashForm(fields()), `${FORM}; charset=utf-8`).ok).toBe(true);
  });

  it('refuses bodies over the cap before looking inside', () => {
    const r = decodeSlashForm(Buffer.alloc(MAX_FORM_BYTES + 1, 0x61), FORM);
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('at most') });
  });

  it('lets the token be checked before field rules: decode succeeds without a token', () => {
    const { token: _t, ...rest } = fields();
    const d = decodeSlashForm(encodeSlashForm(rest), FORM);
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.decoded.singles.get('token')).toBeUndefined();
      expect(validateSlashForm(d.decoded).ok).toBe(true);
    }
  });

  it('never throws on arbitrary bodies and content types (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
        ),
        fc.oneof(fc.constant(FORM), fc.string()),
        (body, type) => {
          const r = parseSlashForm(body, type);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips any text and mention lists Mattermost could send (property)', () => {
    const id = fc.stringMatching(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 500 }).filter((s) => !s.includes('\u0000')),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/), id), { maxLength: 5 }),
        (text, mentions) => {
          const body = encodeSlashForm(
            fields({
              text,
              user_mentions: mentions.map((m) => m[0]),
              user_mentions_ids: mentions.map((m) => m[1]),
            }),
          );
          const r = parseSlashForm(body, FORM);
          if (!r.ok) throw new Error(r.error);
          expect(r.form.text).toBe(text);
          expect(r.form.userMentions).toEqual(mentions.map(([name, mid]) => ({ name, id: mid })));
        },
      ),
      { numRuns: 500 },
    );
  });
});
