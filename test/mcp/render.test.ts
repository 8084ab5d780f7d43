import type { UpdateRecord } from '../../src/updates/record';
import { renderUpdate, renderUpdates } from '../../src/mcp/render';

const base = {
  cursor: '1763683200000-0',
  at: '2026-11-21T10:00:00.000Z',
  channelId: 'c'.repeat(26),
  userId: 'u'.repeat(26),
};

describe('renderUpdate', () => {
  it('names the channel and user of posts, reactions, members and statuses', () => {
    const post: UpdateRecord = {
      ...base,
      eventId: 'post.created:p',
      type: 'post.created',
      uri: 'mattermost://channels/x/posts',
      data: {
        post: {
          id: 'p'.repeat(26),
          message: 'hello\nworld',
          username: 'alice',
          channelName: 'town-square',
          rootId: '',
        },
      },
    };
    expect(renderUpdate(post)).toBe(
      `2026-11-21T10:00:00.000Z post.created ~town-square @alice: hello world [post ${'p'.repeat(26)}] (cursor 1763683200000-0)`,
    );
    const reaction: UpdateRecord = {
      ...base,
      eventId: 'reaction.added:x',
      type: 'reaction.added',
      uri: 'mattermost://reactions',
      data: { reaction: { postId: 'p'.repeat(26), emojiName: '+1', username: 'bob', channelName: 'off-topic' } },
    };
    expect(renderUpdate(reaction)).toBe(
      `2026-11-21T10:00:00.000Z reaction.added ~off-topic @bob :+1: on post ${'p'.repeat(26)} (cursor 1763683200000-0)`,
    );
    const status: UpdateRecord = {
      ...base,
      channelId: undefined,
      eventId: 'status.changed:x',
      type: 'status.changed',
      uri: 'mattermost://users/u/status',
      data: { status: { userId: 'u'.repeat(26), username: 'alice', status: 'dnd' } },
    };
    expect(renderUpdate(status)).toBe('2026-11-21T10:00:00.000Z status.changed @alice is dnd (cursor 1763683200000-0)');
  });

  it('falls back to ids when no name is known, and ends a list with the next cursor', () => {
    const bare: UpdateRecord = {
      ...base,
      eventId: 'member.added:x',
      type: 'member.added',
      uri: 'mattermost://events',
      data: {},
    };
    expect(renderUpdate(bare)).toContain(`~${'c'.repeat(26)} @${'u'.repeat(26)}`);
    expect(renderUpdates([], '5-0')).toBe('no updates\nnext cursor: 5-0');
  });
});
