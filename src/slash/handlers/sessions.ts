/** `/mcp sessions` (system admins): the connected MCP sessions with key names, clients and subscriptions. */
import type { Invocation, SlashEnv } from '../context';
import { listLiveSessions } from '../listeners';
import { userRoles } from '../permissions';
import { ephemeral, type CommandResponse } from '../response';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export async function runSessions(inv: Invocation<unknown>, env: SlashEnv): Promise<CommandResponse> {
  const roles = await userRoles(env.services.mattermost, inv.form.userId);
  if (!roles.systemAdmin) return ephemeral('Only system admins may list the MCP sessions.');
  const sessions = await listLiveSessions(env.services);
  if (sessions.length === 0) return ephemeral('No MCP session is connected.');
  const rows = sessions.map((s) => {
    const subs = s.subscriptions.length ? s.subscriptions.map((u) => `\`${u}\``).join(', ') : 'none';
    // Session ids let a holder resume the session: show only a prefix.
    return `| \`${s.id.slice(0, 8)}…\` | ${cell(s.keyName)} | ${cell(s.client)} | ${s.createdAt} | ${s.lastActivity} | ${cell(subs)} |`;
  });
  return ephemeral(
    [
      `#### ${sessions.length} MCP session${sessions.length === 1 ? '' : 's'}`,
      '| Session | API key | Client | Started | Last active | Subscriptions |',
      '|:--|:--|:--|:--|:--|:--|',
      ...rows,
    ].join('\n'),
  );
}
