/**
 * The command line (brief §4.1): parses arguments, loads config, and hands
 * over to the runner of each subcommand.
 */
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type BridgeConfig } from '../config/load';
import { ROLES } from '../config/schema';
import { CliError } from './errors';
import { version } from './version';
import { runServe } from '../app/serve';
import { runStdio } from '../app/stdio';
import { runInstall, runUninstall } from '../install/install';
import { runDoctor } from '../install/doctor';
import { runSandbox } from '../sandbox/sandbox';

export type CommonOptions = { config?: string };

/** Loads config for a subcommand; bad config → ConfigError (exit 2). */
export function configFor(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  return loadConfig({ env, configFile: opts.config });
}

const configOption = () =>
  new Option('-c, --config <file>', 'JSON or YAML file with config keys (environment variables win)');

function parseRoles(value: string): string[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
  if (bad || roles.length === 0) {
    throw new CliError(
      `--roles: "${bad ?? value}" is not a role; use a comma-separated subset of ${ROLES.join(',')}`,
      2,
    );
  }
  return roles;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mattermost-mcp-bridge')
    .description(
      'Joins Mattermost as a bot, streams what it sees into a Redis event log, and serves it to AI agents over MCP.',
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('serve')
    .description('Run the bridge: WebSocket ingest, BullMQ workers and the MCP/HTTP server (all roles by default)')
    .addOption(configOption())
    .option('--roles <roles>', `comma-separated subset of ${ROLES.join(',')}`, parseRoles)
    .addHelpText(
      'after',
      '\nExample:\n  MATTERMOST_URL=https://chat.example.com MATTERMOST_TOKEN=... BRIDGE_API_KEYS=... mattermost-mcp-bridge serve',
    )
    .action(async (opts: CommonOptions & { roles?: string[] }) => {
      await runServe(configFor(opts), { roles: (opts.roles ?? [...ROLES]) as (typeof ROLES)[number][] });
    });

  program
    .command('stdio')
    .description(
      'Serve MCP over stdio (stdout carries only JSON-RPC; logs go to stderr), with ingest and workers in-process',
    )
    .addOption(configOption())
    .option('--mcp-only', 'serve only MCP; events come from a `serve` running against the same Redis')
    .action(async (opts: CommonOptions & { mcpOnly?: boolean }) => {
      await runStdio(configFor(opts), { mcpOnly: opts.mcpOnly });
    });

  program
    .command('install')
    .description('Create or reuse the bot and its token, add it to teams, register the slash command (idempotent)')
    .addOption(configOption())
    .option('--url <url>', 'Mattermost URL (default: MATTERMOST_URL)')
    .requiredOption('--admin-token <token>', 'a system admin personal access token')
    .option('--public-url <url>', 'how Mattermost reaches this bridge (default: BRIDGE_PUBLIC_URL)')
    .option('--team <name...>', 'teams to add the bot to and register the command in (default: all teams)')
    .action(async (opts: CommonOptions & Record<string, unknown>) => {
      await runInstall(configFor(opts), opts);
    });

  program
    .command('uninstall')
    .description('Remove the slash commands and disable the bot that install created')
    .addOption(configOption())
    .option('--url <url>', 'Mattermost URL (default: MATTERMOST_URL)')
    .requiredOption('--admin-token <token>', 'a system admin personal access token')
    .action(async (opts: CommonOptions & Record<string, unknown>) => {
      await runUninstall(configFor(opts), opts);
    });

  program
    .command('doctor')
    .description('Check URL, token, bot permissions, Redis, WebSocket and slash-command reachability; print fixes')
    .addOption(configOption())
    .action(async (opts: CommonOptions) => {
      await runDoctor(configFor(opts));
    });

  program
    .command('sandbox')
    .description('Start a simulated Mattermost, Redis, the bridge and scripted chatter; print the MCP URL and key')
    .option('--json', 'print one JSON line {mcpUrl, apiKey, mattermostUrl, adminToken, redisUrl} when ready')
    .option('--port <port>', 'port of the bridge (default: a free one)')
    .action(async (opts: { json?: boolean; port?: string }) => {
      await runSandbox(opts);
    });

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it. */
export async function main(
  argv: string[],
  stderr: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => stderr(s.trimEnd()) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed help/version or the usage error
      return e.exitCode ?? 1;
    }
    if (err instanceof ConfigError) {
      for (const p of err.problems) stderr(`config error: ${p}`);
      return 2;
    }
    if (err instanceof CliError) {
      stderr(`error: ${err.message}`);
      return err.exitCode;
    }
    const debug = (process.env.LOG_LEVEL ?? '').toLowerCase() === 'debug' || process.env.LOG_LEVEL === 'trace';
    stderr(`error: ${(err as Error)?.message ?? String(err)}`);
    if (debug && err instanceof Error && err.stack) stderr(err.stack);
    return 1;
  }
}
