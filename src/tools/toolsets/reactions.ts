/** Toolset `reactions`: emoji reactions on posts. */
import { z } from 'zod';
import { ToolError } from '../define';
import { atUser } from '../render';
import { botUser, mm, mmTool, postIdParam, requireWrite, resolvePost, type Ctx } from './common';

/** Emoji names as Mattermost stores them: letters, digits, `_`, `-`, `+` (e.g. +1, white_check_mark). */
export const emojiParam = z
  .string()
  .max(66)
  .trim()
  .transform((v) => v.replace(/^:|:$/g, '').toLowerCase())
  .pipe(
    z
      .string()
      .regex(/^[a-z0-9_+-]{1,64}$/, 'must be an emoji name such as thumbsup, +1, white_check_mark (colons optional)'),
  )
  .describe('Emoji name without colons, e.g. "thumbsup", "+1", "white_check_mark", "eyes".');

function reactionTool(add: boolean) {
  const name = add ? 'add_reaction' : 'remove_reaction';
  return mmTool({
    name,
    toolset: 'reactions',
    scope: 'write',
    description: add
      ? 'Adds an emoji reaction from the bot to a post (id or permalink), e.g. "eyes" to acknowledge or "white_check_mark" when done. Adding the same reaction twice does nothing.'
      : "Removes the bot's own emoji reaction from a post (id or permalink). Removing a reaction that is not there does nothing.",
    input: { post_id: postIdParam, emoji_name: emojiParam },
    output: { post_id: z.string(), emoji_name: z.string(), reacted: z.boolean() },
    annotations: {
      title: add ? 'Add reaction' : 'Remove reaction',
      readOnlyHint: false,
      destructiveHint: !add,
      idempotentHint: true,
      openWorldHint: false,
    },
    handler: async (args, ctx: Ctx) => {
      requireWrite(ctx, name);
      const { post, channel } = await resolvePost(ctx, args.post_id);
      const me = await botUser(ctx);
      const client = ctx.services.mattermost;
      await mm<unknown>(
        () =>
          add
            ? client.addReaction(me.id, post.id, args.emoji_name)
            : client.removeReaction(me.id, post.id, args.emoji_name),
        {
          badRequest: `Mattermost refused :${args.emoji_name}: (is it an existing emoji name?)`,
          forbidden: `the bot may not react in ${channel.label}`,
          notFound: add
            ? `emoji :${args.emoji_name}: or post ${post.id} not found`
            : `no :${args.emoji_name}: reaction of the bot on post ${post.id}`,
        },
      );
      return {
        structured: { post_id: post.id, emoji_name: args.emoji_name, reacted: add },
        text: `${add ? 'Added' : 'Removed'} :${args.emoji_name}: ${add ? 'to' : 'from'} post ${post.id} in ${channel.label}.`,
      };
    },
  });
}

export const addReaction = reactionTool(true);
export const removeReaction = reactionTool(false);

export const getReactions = mmTool({
  name: 'get_reactions',
  toolset: 'reactions',
  scope: 'read',
  description:
    'Lists the emoji reactions on a post (id or permalink), grouped by emoji, with who reacted as @username.',
  input: { post_id: postIdParam },
  output: {
    post_id: z.string(),
    reactions: z.array(z.object({ emoji_name: z.string(), count: z.number(), users: z.array(z.string()) })),
  },
  annotations: {
    title: 'Get reactions',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const { post, channel } = await resolvePost(ctx, args.post_id);
    const list = (await mm(() => ctx.services.mattermost.getReactionsForPost(post.id))) ?? [];
    if (!Array.isArray(list))
      throw new ToolError('unavailable', 'Mattermost answered reactions in an unexpected shape');
    const byEmoji = new Map<string, string[]>();
    for (const r of list) byEmoji.set(r.emoji_name, [...(byEmoji.get(r.emoji_name) ?? []), r.user_id]);
    const reactions = await Promise.all(
      [...byEmoji].map(async ([emoji, ids]) => ({
        emoji_name: emoji,
        count: ids.length,
        users: await Promise.all(
          ids.map(async (id) => atUser((await ctx.services.directory.user(id).catch(() => undefined))?.username, id)),
        ),
      })),
    );
    const text = reactions.length
      ? [
          `Reactions on post ${post.id} in ${channel.label}:`,
          ...reactions.map((r) => `- :${r.emoji_name}: ×${r.count} by ${r.users.join(', ')}`),
        ].join('\n')
      : `No reactions on post ${post.id} in ${channel.label}.`;
    return { structured: { post_id: post.id, reactions }, text };
  },
});

export const reactionsTools = [addReaction, removeReaction, getReactions];
