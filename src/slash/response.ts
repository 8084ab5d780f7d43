/**
 * What the bridge answers Mattermost (protocol notes §4.3): a CommandResponse
 * as JSON, with `Content-Type` exactly `application/json` so Mattermost
 * parses it instead of posting the raw body as text.
 */

export type ResponseType = 'ephemeral' | 'in_channel';

export interface CommandResponse {
  /** `ephemeral` (only the invoker sees it) unless a command says otherwise. */
  response_type: ResponseType;
  text: string;
  /** Posted as further messages (same shape). */
  extra_responses?: CommandResponse[];
  props?: Record<string, unknown>;
  skip_slack_parsing?: boolean;
}

/** Mattermost's cap on one post; longer text would be refused when posted. */
export const RESPONSE_TEXT_MAX = 16_383;

function capped(text: string): string {
  if (text.length <= RESPONSE_TEXT_MAX) return text;
  const note = '\n… (cut: too long for one message)';
  return text.slice(0, RESPONSE_TEXT_MAX - note.length) + note;
}

export const ephemeral = (text: string): CommandResponse => ({ response_type: 'ephemeral', text: capped(text) });

export const inChannel = (text: string): CommandResponse => ({ response_type: 'in_channel', text: capped(text) });

/** The exact content type Mattermost (and Client4) accept as JSON. */
export const JSON_CONTENT_TYPE = 'application/json';
