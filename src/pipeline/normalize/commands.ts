/**
 * `command.invoked` / `command.answered` updates for the slash-command inbox
 * (mattermost://commands). The slash-command code builds them here so the
 * type, event id and URI rules live with the other normalizers.
 */
import type { NewUpdate } from '../../updates/record';
import { URIS } from '../../updates/uris';
import { eventIds } from './event-ids';

type When = Date | number | string | undefined;

function isoOf(at: When): string {
  if (at === undefined) return new Date().toISOString();
  return new Date(at).toISOString();
}

export interface CommandInvokedInput {
  requestId: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  userId: string;
  username?: string;
  /** The trigger, e.g. `/mcp`. */
  command: string;
  /** What was asked (the text after `ask`). */
  text: string;
  rootId?: string;
  at?: When;
}

export function commandInvoked(input: CommandInvokedInput): NewUpdate {
  const { at, teamId, ...command } = input;
  return {
    eventId: eventIds.commandInvoked(input.requestId),
    type: 'command.invoked',
    uri: URIS.commands,
    at: isoOf(at),
    ...(teamId ? { teamId } : {}),
    channelId: input.channelId,
    userId: input.userId,
    data: { requestId: input.requestId, command: { ...command, status: 'open' } },
    uris: [URIS.commands],
  };
}

export interface CommandAnsweredInput {
  requestId: string;
  channelId: string;
  teamId?: string;
  /** Who answered (the bot, on behalf of an agent). */
  userId?: string;
  /** The API key name of the agent that answered, if known. */
  answeredBy?: string;
  message: string;
  /** The post that carries the answer. */
  postId?: string;
  at?: When;
}

export function commandAnswered(input: CommandAnsweredInput): NewUpdate {
  const { at, teamId, userId, ...answer } = input;
  return {
    eventId: eventIds.commandAnswered(input.requestId),
    type: 'command.answered',
    uri: URIS.commands,
    at: isoOf(at),
    ...(teamId ? { teamId } : {}),
    channelId: input.channelId,
    ...(userId ? { userId } : {}),
    data: { requestId: input.requestId, answer: { ...answer, status: 'answered' } },
    uris: [URIS.commands],
  };
}
