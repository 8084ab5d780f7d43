/**
 * pino JSON logs on stderr (stdout belongs to MCP stdio). Secrets are removed
 * twice: by path (tokens, keys, Authorization headers) and, as a safety net,
 * by value: every secret the config knows is scrubbed from each written line.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'MATTERMOST_TOKEN',
  '*.MATTERMOST_TOKEN',
  'BRIDGE_API_KEYS',
  '*.BRIDGE_API_KEYS',
  'BRIDGE_SLASH_TOKENS',
  '*.BRIDGE_SLASH_TOKENS',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
];

export type LoggerSetup = {
  level?: string;
  /** Secret values to scrub from every line, whatever field carries them. */
  secrets?: string[];
  /** Where lines go; stderr by default. */
  destination?: pino.DestinationStream;
  name?: string;
};

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Scrubs secrets and any `Bearer <token>` / `Token <token>` that slipped into a message. */
export function makeScrubber(secrets: string[]): (line: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  const pattern = values.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
  return (line) => {
    let out = line.replace(/\b(Bearer|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [REDACTED]');
    if (pattern) out = out.replace(pattern, '[REDACTED]');
    return out;
  };
}

export function createLogger(setup: LoggerSetup = {}): Logger {
  const scrub = makeScrubber(setup.secrets ?? []);
  const options: LoggerOptions = {
    name: setup.name ?? 'mattermost-mcp-bridge',
    level: setup.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      streamWrite: (line) => scrub(line),
    },
  };
  return pino(options, setup.destination ?? pino.destination({ fd: 2, sync: true }));
}
