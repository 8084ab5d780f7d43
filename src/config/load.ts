/**
 * Turns env (and an optional JSON/YAML config file) into a validated Config.
 * Every problem becomes one line naming the key, what is wrong and an example
 * of a good value; secrets are never echoed back.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import YAML from 'yaml';
import { z } from 'zod';
import { apiKeysFileSchema, entriesFromFile, type ApiKeyEntry } from './api-keys';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, configSchema, type Config, type ConfigKey } from './schema';

export type BridgeConfig = Config & {
  /** Keys from BRIDGE_API_KEYS and BRIDGE_API_KEYS_FILE together. */
  apiKeys: ApiKeyEntry[];
  /** Every secret value (tokens, raw API keys): the logger scrubs them from all output. */
  secrets: string[];
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export type LoadOptions = {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON or YAML file with the same keys; env wins over it. */
  configFile?: string;
};

function problem(key: string, message: string, value?: string): string {
  const doc = (CONFIG_KEYS as Record<string, { doc: { example: string; secret?: boolean } }>)[key]?.doc;
  const got = value !== undefined && !doc?.secret ? ` (got ${JSON.stringify(value.slice(0, 80))})` : '';
  const example = doc ? `; example: ${key}=${doc.example}` : '';
  return `${key}: ${message}${got}${example}`;
}

function readStructuredFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    return /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError([
      `${what}: ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`,
    ]);
  }
}

function fileValues(path: string): Record<string, string> {
  const data = readStructuredFile(path, '--config');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`--config: ${path} must hold an object of KEY: value pairs, e.g. BRIDGE_PORT: 8080`]);
  }
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!(CONFIG_KEY_NAMES as string[]).includes(key)) {
      problems.push(`${key}: unknown key in ${path}; known keys are listed in docs/configuration.md`);
    } else if (Array.isArray(value)) {
      out[key] = value.map(String).join(',');
    } else if (value !== null && typeof value === 'object') {
      problems.push(problem(key, 'must be a string, number or boolean, not an object'));
    } else if (value !== null && value !== undefined) {
      out[key] = String(value);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

export function loadConfig(options: LoadOptions = {}): BridgeConfig {
  const env = options.env ?? process.env;
  const raw: Record<string, string> = options.configFile ? fileValues(options.configFile) : {};
  for (const key of CONFIG_KEY_NAMES) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue: z.ZodIssue) => {
        const key = String(issue.path[0] ?? 'config');
        return problem(key, issue.message, raw[key]);
      }),
    );
  }
  const config = result.data;
  const problems: string[] = [];
  if (config.BRIDGE_AUTH === 'none' && !isLoopbackHost(config.BRIDGE_HOST)) {
    problems.push(
      problem('BRIDGE_AUTH', `none is accepted only when BRIDGE_HOST is a loopback address, not ${config.BRIDGE_HOST}`),
    );
  }
  const apiKeys = [...(config.BRIDGE_API_KEYS ?? [])];
  const secrets = [config.MATTERMOST_TOKEN, ...config.BRIDGE_SLASH_TOKENS, ...rawKeys(raw.BRIDGE_API_KEYS)];
  if (config.BRIDGE_API_KEYS_FILE) {
    const parsed = apiKeysFileSchema.safeParse(readStructuredFile(config.BRIDGE_API_KEYS_FILE, 'BRIDGE_API_KEYS_FILE'));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(
          `BRIDGE_API_KEYS_FILE: entry ${issue.path.map(String).join('.')} ${issue.message}; example entry: {name: ci, sha256: <64 hex>, scopes: [read]}`,
        );
      }
    } else {
      apiKeys.push(...entriesFromFile(parsed.data));
      secrets.push(...parsed.data.map((e) => e.key));
    }
  }
  const names = new Set<string>();
  for (const k of apiKeys) {
    if (names.has(k.name)) problems.push(problem('BRIDGE_API_KEYS', `key name "${k.name}" is used twice`));
    names.add(k.name);
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...config, apiKeys, secrets: secrets.filter((v): v is string => typeof v === 'string' && v.length >= 6) };
}

function rawKeys(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((part) => {
    const fields = part.trim().split(':');
    return fields.length === 3 ? fields[1] : part.trim();
  });
}

/** What `serve` (and stdio's HTTP-less MCP) additionally needs. */
export function requireForServe(config: BridgeConfig, needs: { apiKeys: boolean; mattermost: boolean }): void {
  const problems: string[] = [];
  if (needs.apiKeys && config.BRIDGE_AUTH === 'keys' && config.apiKeys.length === 0) {
    problems.push(
      problem(
        'BRIDGE_API_KEYS',
        'is required: /mcp never runs without an API key (or set BRIDGE_AUTH=none with a loopback BRIDGE_HOST for local use)',
      ),
    );
  }
  if (needs.mattermost) {
    if (!config.MATTERMOST_URL) problems.push(problem('MATTERMOST_URL', 'is required'));
    if (!config.MATTERMOST_TOKEN) problems.push(problem('MATTERMOST_TOKEN', 'is required'));
  }
  if (problems.length) throw new ConfigError(problems);
}

export type { ConfigKey };
