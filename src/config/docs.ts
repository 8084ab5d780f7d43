/** Renders docs/configuration.md from the config schema, so the docs cannot drift from the code. */
import { CONFIG_KEYS, CONFIG_KEY_NAMES } from './schema';

export function renderConfigDocs(): string {
  const rows = CONFIG_KEY_NAMES.map((key) => {
    const doc: { example: string; description: string; secret?: boolean; default?: string } = CONFIG_KEYS[key].doc;
    const def = doc.default === undefined ? '—' : doc.default === '' ? '(empty)' : `\`${doc.default}\``;
    const secret = doc.secret ? ' **Secret:** never printed or logged.' : '';
    return `| \`${key}\` | ${doc.description.replace(/\|/g, '\\|')}${secret} | ${def} | \`${doc.example}\` |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs`; a test fails when this file drifts. -->',
    '',
    'Every key can be set in the environment or in a JSON/YAML file given with `--config FILE`',
    '(the same key names; environment variables win). A bad value stops start-up with exit code 2 and',
    'one line per problem naming the key, what is wrong and an example of a good value.',
    '',
    'Durations accept `500ms`, `30s`, `5m`, `2h`, `7d` or a number of milliseconds; lists are comma-separated.',
    '',
    '| key | meaning | default | example |',
    '|---|---|---|---|',
    ...rows,
    '',
    '`serve` refuses to start without an API key unless `BRIDGE_AUTH=none` and `BRIDGE_HOST` is a loopback',
    'address. `MATTERMOST_URL` and `MATTERMOST_TOKEN` are required by `serve`, `stdio` and `doctor`.',
    '',
    'For a self-hosted Mattermost with a private certificate authority, start Node with',
    '`NODE_EXTRA_CA_CERTS=/path/to/ca.pem` (Node reads it at start-up for every TLS connection).',
    '',
  ].join('\n');
}
