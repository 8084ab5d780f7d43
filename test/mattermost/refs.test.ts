import fc from 'fast-check';
import {
  ID_ALPHABET,
  isMattermostId,
  parseChannelRef,
  parsePostRef,
  parseUserRef,
  permalink,
} from '../../src/mattermost/refs';

const ID = 'ybndrfg8ejkmcpqxot1uwisza3';
const idArb = fc.string({ unit: fc.constantFrom(...ID_ALPHABET.split('')), minLength: 26, maxLength: 26 });

describe('parseChannelRef', () => {
  it('reads ids, ~names, team:names and @usernames', () => {
    expect(parseChannelRef(ID)).toEqual({ ok: true, value: { kind: 'id', id: ID } });
    expect(parseChannelRef('~town-square')).toEqual({ ok: true, value: { kind: 'name', name: 'town-square' } });
    expect(parseChannelRef(' ~Town-Square ')).toEqual({ ok: true, value: { kind: 'name', name: 'town-square' } });
    expect(parseChannelRef('acme:dev')).toEqual({ ok: true, value: { kind: 'team-name', team: 'acme', name: 'dev' } });
    expect(parseChannelRef('acme:~dev')).toEqual({ ok: true, value: { kind: 'team-name', team: 'acme', name: 'dev' } });
    expect(parseChannelRef('@alice')).toEqual({ ok: true, value: { kind: 'direct', username: 'alice' } });
    expect(parseChannelRef('off-topic')).toEqual({ ok: true, value: { kind: 'name', name: 'off-topic' } });
  });

  it('explains every accepted form when it refuses', () => {
    for (const bad of ['', '~', '~has space', 'a:b:c', '#general', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '@', ':x']) {
      const r = parseChannelRef(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/~channel-name, team-name:channel-name/);
    }
  });

  it('never throws and accepts every id', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof parseChannelRef(s).ok === 'boolean'));
    fc.assert(fc.property(idArb, (id) => parseChannelRef(id).ok && isMattermostId(id)));
  });
});

describe('parseUserRef', () => {
  it('reads ids and @usernames', () => {
    expect(parseUserRef(ID)).toEqual({ ok: true, value: { kind: 'id', id: ID } });
    expect(parseUserRef('@Alice')).toEqual({ ok: true, value: { kind: 'username', username: 'alice' } });
    expect(parseUserRef('bridge-bot')).toEqual({ ok: true, value: { kind: 'username', username: 'bridge-bot' } });
    const bad = parseUserRef('@no spaces');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/@username/);
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof parseUserRef(s).ok === 'boolean'));
  });
});

describe('parsePostRef', () => {
  it('reads ids and permalinks, also under a subpath', () => {
    expect(parsePostRef(ID)).toEqual({ ok: true, value: { id: ID } });
    expect(parsePostRef(`https://chat.example.com/acme/pl/${ID}`)).toEqual({
      ok: true,
      value: { id: ID, team: 'acme', host: 'chat.example.com' },
    });
    expect(parsePostRef(`http://h:8065/mm/acme/pl/${ID}`)).toMatchObject({ ok: true, value: { id: ID, team: 'acme' } });
    expect(parsePostRef(permalink('https://x.org/', 'acme', ID))).toMatchObject({ ok: true, value: { id: ID } });
  });

  it('refuses other URLs and strings with a hint', () => {
    for (const bad of ['', 'hello', `https://x.org/acme/channels/${ID}`, `https://x.org/pl/${ID}`, 'https://[bad']) {
      const r = parsePostRef(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/permalink/);
    }
  });

  it('round-trips generated ids through permalinks and never throws', () => {
    fc.assert(
      fc.property(idArb, fc.stringMatching(/^[a-z0-9-]{1,20}$/), (id, team) => {
        const r = parsePostRef(permalink('https://chat.example.com', team, id));
        return r.ok && r.value.id === id && r.value.team === team;
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => typeof parsePostRef(s).ok === 'boolean'));
    fc.assert(fc.property(fc.webUrl(), (s) => typeof parsePostRef(s).ok === 'boolean'));
  });
});
