/**
 * Scripted chatter for the sandbox: alice and bob post, reply in threads and
 * react, one step per tick, over the fake's real REST API with their own
 * tokens (so the bridge sees exactly what a real Mattermost would send).
 */
import { Client4 } from '@mattermost/client';
import type { Post } from '@mattermost/types/posts';

export type Person = { id: string; username: string; token: string };

export interface ChatterSetup {
  url: string;
  alice: Person;
  bob: Person;
  /** Channel ids by name: town-square and off-topic. */
  channels: { 'town-square': string; 'off-topic': string };
  /** The bridge's bot, mentioned now and then so mattermost://mentions has something. */
  botUsername: string;
  intervalMs: number;
  /** Told about each failed step; the loop keeps going. */
  onError(err: unknown, step: string): void;
}

export interface Chatter {
  /** Steps done so far. */
  readonly steps: number;
  stop(): Promise<void>;
}

type Who = 'alice' | 'bob';
type Memory = { root?: Post; reply?: Post; round: number };
type Step = { name: string; run(c: Record<Who, Client4>, s: ChatterSetup, m: Memory): Promise<void> };

const post = (client: Client4, channel_id: string, message: string, root_id = '') =>
  client.createPost({ channel_id, message, root_id } as Post);

/** One round: a thread in town-square with a reply and reactions, then one in off-topic that mentions the bot. */
export const SCRIPT: Step[] = [
  {
    name: 'alice posts in town-square',
    run: async (c, s, m) => {
      m.round += 1;
      m.root = await post(c.alice, s.channels['town-square'], `Deploy #${m.round} of the web app is rolling out now.`);
    },
  },
  {
    name: 'bob replies in the thread',
    run: async (c, s, m) => {
      if (!m.root) return;
      m.reply = await post(
        c.bob,
        m.root.channel_id,
        `Thanks! Watching the error rates for deploy #${m.round}.`,
        m.root.id,
      );
    },
  },
  {
    name: 'alice reacts to the reply',
    run: async (c, s, m) => {
      if (m.reply) await c.alice.addReaction(s.alice.id, m.reply.id, 'thumbsup');
    },
  },
  {
    name: 'bob posts in off-topic',
    run: async (c, s, m) => {
      m.root = await post(c.bob, s.channels['off-topic'], `Lunch at 12:30 today (round ${m.round})? 🍜`);
    },
  },
  {
    name: 'alice replies and mentions the bot',
    run: async (c, s, m) => {
      if (!m.root) return;
      m.reply = await post(
        c.alice,
        m.root.channel_id,
        `Count me in. @${s.botUsername}, remind us at 12:15?`,
        m.root.id,
      );
    },
  },
  {
    name: 'bob reacts to the reply',
    run: async (c, s, m) => {
      if (m.reply) await c.bob.addReaction(s.bob.id, m.reply.id, 'white_check_mark');
    },
  },
];

function clientFor(url: string, token: string): Client4 {
  const client = new Client4();
  client.setUrl(url);
  client.setToken(token);
  return client;
}

/** Runs the script in a loop: the first step at once, then one every `intervalMs`. */
export function startChatter(setup: ChatterSetup): Chatter {
  const clients = { alice: clientFor(setup.url, setup.alice.token), bob: clientFor(setup.url, setup.bob.token) };
  const memory: Memory = { round: 0 };
  let index = 0;
  let done = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    const step = SCRIPT[index];
    index = (index + 1) % SCRIPT.length;
    running = step
      .run(clients, setup, memory)
      .then(() => {
        done += 1;
      })
      .catch((err: unknown) => setup.onError(err, step.name))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, setup.intervalMs);
      });
  };
  tick();

  return {
    get steps() {
      return done;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
