/**
 * Standalone start: `npm run fake-mattermost -- --port N` (0 = any free port).
 * Prints one JSON line {"url": "http://127.0.0.1:N"} once listening, with the
 * default seed loaded; SIGINT/SIGTERM stop it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startFakeMattermost } from './server';

function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('fake-mattermost')
    .description('A faithful fake Mattermost (REST v4 + WebSocket) with a control API under /__fake')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 = any free port)', portArg, 0)
    .option('--site-url <url>', 'SiteURL used in slash-command response_url (default: the fake URL)')
    .option('--reap-after-ms <ms>', 'keep inactive WebSocket connections this long', portArgMs, 300_000)
    .parse(process.argv);
  const opts = program.opts<{ port: number; siteUrl?: string; reapAfterMs: number }>();
  const fake = await startFakeMattermost({ port: opts.port, siteUrl: opts.siteUrl, reapAfterMs: opts.reapAfterMs });
  process.stdout.write(JSON.stringify({ url: fake.url }) + '\n');
  const stop = () => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function portArgMs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a positive number of milliseconds');
  return n;
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-mattermost: ${(err as Error).message}\n`);
  process.exit(1);
});
