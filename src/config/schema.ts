/**
 * The one place that defines every configuration key: its type, default,
 * an example of a good value (used in error messages) and a description
 * (used to generate docs/configuration.md). Env names are fixed contracts
 * (brief §4.1); keys beyond the brief are documented the same way.
 */
import { z } from 'zod';
import { parseApiKeyList } from './api-keys';
import { parseDuration } from './duration';

export type ConfigKeyDoc = {
  /** A good value, shown in error messages and in the docs. */
  example: string;
  description: string;
  /** Secrets are never printed, logged or echoed back in errors. */
  secret?: boolean;
  default?: string;
};

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), {
    message: 'must be true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const httpUrl = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http(s) URL' },
  )
  .transform((v) => v.replace(/\/+$/, ''));

const redisUrl = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'redis:' || u.protocol === 'rediss:';
      } catch {
        return false;
      }
    },
    { message: 'must be a redis:// or rediss:// URL' },
  );

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const duration = (minMs: number, maxMs: number) =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a duration such as 500ms, 30s, 5m, 2h or 7d' });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(z.number().min(minMs, `must be at least ${minMs} ms`).max(maxMs, `must be at most ${maxMs} ms`));

const host = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address');

const prefix = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_{}:.-]{1,64}$/, 'must be 1-64 letters, digits or _ - . : { }');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const TOOLSETS = ['context', 'channels', 'posts', 'reactions', 'users', 'files', 'streams', 'commands'] as const;
export const ROLES = ['ingest', 'worker', 'mcp'] as const;

const toolsets = list.pipe(
  z
    .array(z.enum(TOOLSETS, { errorMap: () => ({ message: `each toolset must be one of ${TOOLSETS.join(', ')}` }) }))
    .min(1, 'must name at least one toolset'),
);

const apiKeys = z.string().transform((v, ctx) => {
  const parsed = parseApiKeyList(v);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** Every key: schema (input is always the raw string, as env gives it) and docs. */
export const CONFIG_KEYS = {
  MATTERMOST_URL: {
    schema: httpUrl.optional(),
    doc: { example: 'https://chat.example.com', description: 'Base URL of the Mattermost server.' },
  },
  MATTERMOST_TOKEN: {
    schema: z.string().trim().min(1, 'must not be empty').optional(),
    doc: { example: 'xoxb-26-char-bot-access-token', description: 'Access token of the bot account.', secret: true },
  },
  REDIS_URL: {
    schema: redisUrl.default('redis://127.0.0.1:6379'),
    doc: {
      example: 'redis://127.0.0.1:6379',
      description: 'Redis holding queues, the event log and all shared state.',
      default: 'redis://127.0.0.1:6379',
    },
  },
  BRIDGE_HOST: {
    schema: host.default('127.0.0.1'),
    doc: { example: '127.0.0.1', description: 'Address the HTTP server binds to.', default: '127.0.0.1' },
  },
  BRIDGE_PORT: {
    schema: int(0, 65535).default('8080'),
    doc: { example: '8080', description: 'Port of the HTTP server (0 picks a free one).', default: '8080' },
  },
  BRIDGE_PUBLIC_URL: {
    schema: httpUrl.optional(),
    doc: { example: 'https://bridge.example.com', description: 'How Mattermost reaches this bridge (`<url>/slash`).' },
  },
  BRIDGE_API_KEYS: {
    schema: apiKeys.optional(),
    doc: {
      example: 'ci-agent:s3cr3t-key-0123456789:read+write',
      description:
        'Comma-separated API keys for /mcp: either a bare key (scopes read+write) or `name:key:scopes` with scopes joined by `+` (read, write, admin). Keys must be at least 16 characters.',
      secret: true,
    },
  },
  BRIDGE_API_KEYS_FILE: {
    schema: z.string().trim().min(1, 'must be a file path').optional(),
    doc: {
      example: '/etc/mattermost-mcp-bridge/keys.yaml',
      description:
        'JSON or YAML list of keys `{name, key | sha256, scopes, channels: {allow, deny}, allowDirect}`; keys may be stored as SHA-256 hashes.',
    },
  },
  BRIDGE_READ_ONLY: {
    schema: bool.default('false'),
    doc: { example: 'true', description: 'Remove every write tool.', default: 'false' },
  },
  BRIDGE_TOOLSETS: {
    schema: toolsets.default(TOOLSETS.join(',')),
    doc: {
      example: 'context,posts,streams',
      description: `Toolsets to expose: ${TOOLSETS.join(', ')}.`,
      default: 'all',
    },
  },
  BRIDGE_CHANNELS_ALLOW: {
    schema: list.default(''),
    doc: {
      example: '~town-square,acme:dev',
      description: 'Channels agents may use (id, ~name or team:name). Empty allows every channel not denied.',
      default: '',
    },
  },
  BRIDGE_CHANNELS_DENY: {
    schema: list.default(''),
    doc: { example: '~off-topic', description: 'Channels agents may never use; deny wins over allow.', default: '' },
  },
  BRIDGE_ALLOW_DIRECT: {
    schema: bool.default('false'),
    doc: {
      example: 'true',
      description: 'Stream, read and send direct and group messages (off by default).',
      default: 'false',
    },
  },
  BRIDGE_TEAMS: {
    schema: list.default(''),
    doc: { example: 'acme', description: 'Team names or ids in scope. Empty: every team of the bot.', default: '' },
  },
  BRIDGE_REDIS_PREFIX: {
    schema: prefix.default('mmb'),
    doc: {
      example: 'mmb',
      description: 'Prefix of every Redis key. Use `{mmb}` on Redis Cluster so BullMQ keys share a slot.',
      default: 'mmb',
    },
  },
  BRIDGE_AUTH: {
    schema: z.enum(['keys', 'none'], { errorMap: () => ({ message: 'must be keys or none' }) }).default('keys'),
    doc: {
      example: 'keys',
      description: '`keys` (API keys required) or `none` (only when BRIDGE_HOST is a loopback address).',
      default: 'keys',
    },
  },
  LOG_LEVEL: {
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(LOG_LEVELS, { errorMap: () => ({ message: `must be one of ${LOG_LEVELS.join(', ')}` }) }))
      .default('info'),
    doc: { example: 'info', description: 'Log level of the JSON logs (stderr).', default: 'info' },
  },
  BRIDGE_PARTITIONS: {
    schema: int(1, 256).default('1'),
    doc: {
      example: '8',
      description:
        'Number of event queues; one channel always maps to the same one, keeping its order. Each is worked one job at a time: raise it (the same value in every process) when several worker processes share the load; one process does best with 1.',
      default: '1',
    },
  },
  BRIDGE_WEBSOCKET: {
    schema: bool.default('true'),
    doc: { example: 'true', description: 'Use the WebSocket; when false the bridge only polls.', default: 'true' },
  },
  BRIDGE_WS_GRACE: {
    schema: duration(0, 3_600_000).default('30s'),
    doc: {
      example: '30s',
      description: 'How long the WebSocket may be down before REST polling starts.',
      default: '30s',
    },
  },
  POLL_INTERVAL: {
    schema: duration(1000, 3_600_000).default('15s'),
    doc: { example: '15s', description: 'Interval of the REST polling fallback.', default: '15s' },
  },
  BRIDGE_INGEST_LOCK_TTL: {
    schema: duration(1000, 60_000).default('6s'),
    doc: {
      example: '6s',
      description:
        'Lifetime of the ingest leader lock (renewed every third of it): a standby ingest takes over within about this long after the leader dies.',
      default: '6s',
    },
  },
  BRIDGE_STATUS_POLL_INTERVAL: {
    schema: duration(1000, 3_600_000).default('60s'),
    doc: {
      example: '60s',
      description: 'How often the presence of users in watched channels is polled.',
      default: '60s',
    },
  },
  BRIDGE_RETENTION_AGE: {
    schema: duration(60_000, 365 * 86_400_000).default('7d'),
    doc: { example: '7d', description: 'Event log entries older than this are trimmed.', default: '7d' },
  },
  BRIDGE_RETENTION_MAXLEN: {
    schema: int(100, 100_000_000).default('100000'),
    doc: { example: '100000', description: 'Maximum entries kept per event stream.', default: '100000' },
  },
  BRIDGE_MAX_SUBSCRIPTIONS: {
    schema: int(1, 10_000).default('100'),
    doc: { example: '100', description: 'Resource subscriptions one MCP session may hold.', default: '100' },
  },
  BRIDGE_WAIT_MAX: {
    schema: duration(100, 55_000).default('50s'),
    doc: {
      example: '50s',
      description: 'Longest wait of wait_for_events (below the 60 s default client timeout).',
      default: '50s',
    },
  },
  BRIDGE_SESSION_IDLE_TIMEOUT: {
    schema: duration(10_000, 86_400_000).default('30m'),
    doc: { example: '30m', description: 'An MCP session idle this long is closed.', default: '30m' },
  },
  BRIDGE_ALLOWED_HOSTS: {
    schema: list.default(''),
    doc: {
      example: 'bridge.example.com,localhost',
      description: 'Host headers accepted on /mcp besides the bind address and localhost.',
      default: '',
    },
  },
  BRIDGE_ALLOWED_ORIGINS: {
    schema: list.default(''),
    doc: {
      example: 'https://chat.example.com',
      description: 'Origin headers accepted on /mcp (requests without Origin are accepted).',
      default: '',
    },
  },
  BRIDGE_RATE_LIMIT: {
    schema: int(1, 1_000_000).default('600'),
    doc: { example: '600', description: 'Requests per minute per API key on /mcp.', default: '600' },
  },
  BRIDGE_OUTPUT_MAX_CHARS: {
    schema: int(1000, 1_000_000).default('20000'),
    doc: { example: '20000', description: 'Cap of one tool result text.', default: '20000' },
  },
  BRIDGE_WATCH_ROLES: {
    schema: list
      .pipe(
        z
          .array(
            z.enum(['system_admin', 'channel_admin', 'member'], {
              errorMap: () => ({ message: 'each role must be system_admin, channel_admin or member' }),
            }),
          )
          .min(1, 'must name at least one role'),
      )
      .default('system_admin,channel_admin'),
    doc: {
      example: 'system_admin,channel_admin',
      description: 'Who may run `/mcp watch` and `/mcp unwatch`.',
      default: 'system_admin,channel_admin',
    },
  },
  BRIDGE_SLASH_TOKENS: {
    schema: list.default(''),
    doc: {
      example: 'abcdefghijklmnopqrstuvwxyz',
      description: 'Slash-command tokens accepted on /slash besides those saved by `install`.',
      secret: true,
      default: '',
    },
  },
  BRIDGE_MM_TIMEOUT: {
    schema: duration(100, 300_000).default('15s'),
    doc: { example: '15s', description: 'Timeout of one Mattermost REST request.', default: '15s' },
  },
  BRIDGE_MM_RATE: {
    schema: int(1, 100_000).default('20'),
    doc: {
      example: '20',
      description: 'Mattermost REST requests per second the tools may make (per bot).',
      default: '20',
    },
  },
} satisfies Record<string, { schema: z.ZodTypeAny; doc: ConfigKeyDoc }>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

export const configSchema = z.object(
  Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, CONFIG_KEYS[k].schema])) as {
    [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['schema'];
  },
);

export type Config = z.output<typeof configSchema>;
