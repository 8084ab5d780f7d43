/**
 * What the sandbox prints once it is ready: where everything is, and
 * ready-to-paste client configurations for the printed URL and key.
 */

export interface SandboxInfo {
  mcpUrl: string;
  apiKey: string;
  mattermostUrl: string;
  adminToken: string;
  redisUrl: string;
}

/** The `--json` line: exactly these keys, in this order. */
export function jsonLine(info: SandboxInfo): string {
  const { mcpUrl, apiKey, mattermostUrl, adminToken, redisUrl } = info;
  return JSON.stringify({ mcpUrl, apiKey, mattermostUrl, adminToken, redisUrl });
}

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function clientConfigs(info: SandboxInfo): { title: string; body: string }[] {
  const { mcpUrl, apiKey } = info;
  const auth = `Authorization: Bearer ${apiKey}`;
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return [
    {
      title: 'Claude Code',
      body: `claude mcp add --transport http mattermost ${mcpUrl} --header ${shellQuote(auth)}`,
    },
    {
      title: 'Claude Desktop (claude_desktop_config.json; through the mcp-remote stdio bridge)',
      body: json({
        mcpServers: {
          mattermost: {
            command: 'npx',
            args: ['-y', 'mcp-remote', mcpUrl, '--allow-http', '--header', 'Authorization:${AUTH_HEADER}'],
            env: { AUTH_HEADER: `Bearer ${apiKey}` },
          },
        },
      }),
    },
    {
      title: 'VS Code (.vscode/mcp.json)',
      body: json({
        servers: { mattermost: { type: 'http', url: mcpUrl, headers: { Authorization: `Bearer ${apiKey}` } } },
      }),
    },
    {
      title: 'Cursor (~/.cursor/mcp.json)',
      body: json({ mcpServers: { mattermost: { url: mcpUrl, headers: { Authorization: `Bearer ${apiKey}` } } } }),
    },
    {
      title: 'MCP Inspector (web UI; the CLI line below waits for the next post)',
      body: [
        `npx @modelcontextprotocol/inspector --web --transport http --server-url ${mcpUrl} --header ${shellQuote(auth)}`,
        `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --header ${shellQuote(auth)} --method tools/call --tool-name wait_for_events --tool-arg timeout_ms=20000 ${shellQuote('types=["post.created"]')}`,
      ].join('\n'),
    },
  ];
}

/** The curl that makes alice run `/mcp ask ...` in town-square through the fake's control API. */
export function askCurl(info: SandboxInfo, text = 'ask summarize what happened in town-square today'): string {
  const body = JSON.stringify({ user: 'alice', channel: 'town-square', command: '/mcp', text });
  return `curl -s -X POST ${info.mattermostUrl}/__fake/commands/invoke -H 'Content-Type: application/json' -d ${shellQuote(body)}`;
}

export function postCurl(info: SandboxInfo, message = 'hello agents, can you see this?'): string {
  const body = JSON.stringify({ user: 'alice', channel: 'town-square', message });
  return `curl -s -X POST ${info.mattermostUrl}/__fake/posts -H 'Content-Type: application/json' -d ${shellQuote(body)}`;
}

export function renderInstructions(info: SandboxInfo, extra: { botUsername: string; chatterMs: number }): string {
  const lines: string[] = [];
  const rule = '─'.repeat(78);
  lines.push(rule, 'mattermost-mcp-bridge sandbox is ready', rule, '');
  lines.push(`MCP URL (Streamable HTTP)  ${info.mcpUrl}`);
  lines.push(`API key                    ${info.apiKey}`);
  lines.push(`Mattermost (simulated)     ${info.mattermostUrl}   (API only, no web UI; state: /__fake/state)`);
  lines.push(`Mattermost admin token     ${info.adminToken}`);
  lines.push(`Redis                      ${info.redisUrl}`);
  lines.push('');
  lines.push(
    `Team acme; people admin, alice, bob; the bot @${extra.botUsername} is in town-square and off-topic.`,
    `alice and bob post, reply and react there every ${formatMs(extra.chatterMs)}.`,
    '',
  );
  for (const c of clientConfigs(info)) lines.push(`▸ ${c.title}`, indent(c.body), '');
  lines.push('▸ Hand the agents a task: alice types /mcp ask ... in town-square');
  lines.push(indent(askCurl(info)), '');
  lines.push('▸ Post as alice yourself');
  lines.push(indent(postCurl(info)), '');
  lines.push(
    'Agents follow the stream with the wait_for_events tool: call it, act on the updates,',
    'call it again with the next_cursor it returned. Most MCP clients ignore resource',
    'notifications, so do not rely on subscriptions alone. See docs/clients.md.',
    '',
    'Press Ctrl-C to stop everything the sandbox started.',
    rule,
  );
  return lines.join('\n') + '\n';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
