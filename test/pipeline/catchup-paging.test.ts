/**
 * REST catch-up past Mattermost's limit: `getPosts?since=` answers at most
 * 1,000 posts (the newest; the fake does the same), so `fetchPostsSince`
 * walks back with `before` pages. After an outage with 1,250 new posts in a
 * channel, every one of them must come back — and nothing from before `since`
 * becomes an event.
 */
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { createMattermostClient } from '../../src/mattermost/client';
import { fetchPostsSince, SINCE_LIMIT } from '../../src/pipeline/catchup/catchup';
import { postListToRawEvents } from '../../src/pipeline/normalize/rest';

describe('REST catch-up beyond the since limit', () => {
  let fake: FakeMattermost;
  beforeAll(async () => {
    fake = await startFakeMattermost();
  });
  afterAll(() => fake.stop());

  test('1,250 posts after `since`: all fetched (1,000 + before-pages), none older turned into events', async () => {
    const channel = fake.channel('town-square');
    for (let i = 0; i < 30; i++) fake.post({ user: 'alice', channel: channel.id, message: `old ${i}` });
    await new Promise((r) => setTimeout(r, 5));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const fresh: string[] = [];
    for (let i = 0; i < 1250; i++) {
      fresh.push(String(fake.post({ user: 'alice', channel: channel.id, message: `new ${i}` }).id));
    }
    const client = createMattermostClient({
      url: fake.url,
      token: fake.token('bridge-bot'),
      timeoutMs: 10_000,
      ratePerSec: 10_000,
    });
    // the server's answer alone stops at the limit: the walk back is what this tests
    expect((await client.getPostsSince(channel.id, since)).order).toHaveLength(SINCE_LIMIT);

    const list = await fetchPostsSince(client, channel.id, since);
    const got = new Set(Object.keys(list.posts));
    expect(fresh.filter((id) => !got.has(id))).toEqual([]);

    const events = postListToRawEvents(list, { since, channel: { id: channel.id, name: channel.name } });
    const posted = events.map((e) => JSON.parse((e.data as { post: string }).post) as { id: string; message: string });
    expect(posted.map((p) => p.id)).toEqual(fresh); // each once, oldest first
    expect(posted.every((p) => p.message.startsWith('new '))).toBe(true);
  });
});
