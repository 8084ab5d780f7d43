import fc from 'fast-check';
import {
  assemble,
  capText,
  countFitting,
  iso,
  nextPageLine,
  renderPost,
  threadMarker,
  type PostView,
} from '../../src/tools/render';

const post = (over: Partial<PostView> = {}): PostView => ({
  id: 'p'.repeat(26),
  channel_id: 'c'.repeat(26),
  channel: '~town-square',
  user_id: 'u'.repeat(26),
  user: '@alice',
  message: 'hello\nworld',
  create_at: '2026-11-21T10:00:00.000Z',
  edit_at: '',
  root_id: '',
  reply_count: 0,
  is_pinned: false,
  file_ids: [],
  type: '',
  ...over,
});

describe('render helpers', () => {
  it('formats times as ISO-8601 and empties for missing ones', () => {
    expect(iso(1763683200000)).toBe('2025-11-21T00:00:00.000Z');
    expect(iso(0)).toBe('');
    expect(iso(undefined)).toBe('');
    expect(iso(Number.NaN)).toBe('');
  });

  it('marks thread roots and replies', () => {
    expect(threadMarker(post())).toBe('');
    expect(threadMarker(post({ reply_count: 1 }))).toBe('[thread: 1 reply]');
    expect(threadMarker(post({ reply_count: 3 }))).toBe('[thread: 3 replies]');
    expect(threadMarker(post({ root_id: 'r'.repeat(26) }))).toBe(`[reply in thread ${'r'.repeat(26)}]`);
  });

  it('renders a post on a header line with the message indented', () => {
    const text = renderPost(
      post({ edit_at: '2026-11-21T11:00:00.000Z', is_pinned: true, file_ids: ['f'.repeat(26)] }),
      {
        withChannel: true,
      },
    );
    expect(text).toBe(
      `- 2026-11-21T10:00:00.000Z @alice in ~town-square (post ${'p'.repeat(26)}) [edited] [pinned] [files: ${'f'.repeat(26)}]:\n  hello\n  world`,
    );
    expect(renderPost(post({ type: 'system_join_channel', message: '' }))).toMatch(/\[system_join_channel\]:$/);
  });

  it('writes the next page as a call to copy', () => {
    expect(nextPageLine('read_channel', { channel: '~x', cursor: 'before:abc' })).toBe(
      'More: call read_channel with {"channel":"~x","cursor":"before:abc"}',
    );
  });

  it('caps text at the limit and says how to get the rest', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n');
    const out = capText(text, 1000, 'Call again with a cursor.');
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out).toMatch(/… output truncated \(\d+ more characters\)\. Call again with a cursor\.$/);
    expect(capText('short', 1000, 'x')).toBe('short');
  });

  it('never exceeds the cap (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), fc.integer({ min: 300, max: 4000 }), (text, max) => {
        const out = capText(text, max, 'Ask for less.');
        return out.length <= max && (text.length <= max ? out === text : out.includes('Ask for less.'));
      }),
    );
  });

  it('keeps the blocks that fit, from the start or from the end', () => {
    const blocks = ['a'.repeat(300), 'b'.repeat(300), 'c'.repeat(300), 'd'.repeat(300)];
    expect(countFitting(blocks, 700)).toBe(2);
    expect(countFitting(['x'.repeat(5000)], 100)).toBe(1);
    const head = assemble('H', blocks, (kept) => `kept ${kept}`, 1400);
    expect(head.kept).toBe(3);
    expect(head.text.startsWith('H\naaa')).toBe(true);
    expect(head.text.endsWith('kept 3')).toBe(true);
    const tail = assemble('H', blocks, (kept) => `kept ${kept}`, 1400, true);
    expect(tail.kept).toBe(3);
    expect(tail.text).toContain('bbb');
    expect(tail.text).toContain('ddd');
    expect(tail.text).not.toContain('aaa');
  });
});
