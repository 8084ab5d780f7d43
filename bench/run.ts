/**
 * `npm run bench` — every benchmark of issue 9, bridge and bare BullMQ side by
 * side (see docs/benchmarks.md). Options:
 *   --quick            short runs (development); results in bench/results/quick-<date>.json
 *                      (and partial-<date>.json for runs narrowed by --only or --rates)
 *   --only a,b         scenarios: latency, throughput, fanout, tools, polling
 *   --cpu-prof DIR     CPU profiles of the bridge processes (node --cpu-prof)
 *   --tsx              run the child processes from TypeScript (no compile step; more memory)
 *   --rates a,b        post rates of the latency scenario instead of the profile's (exploring)
 *   --docs / --no-docs regenerate docs/benchmarks.md and its chart (default: full runs only)
 * Needs redis-server on PATH (a private one is started) or REDIS_URL.
 */
import { Command } from 'commander';
import { PROFILES, SCENARIOS, abortBench, runBench, type Scenario } from './bench';
import { writeDocs, writeResults, DOC } from './report/write';

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--quick', 'short runs, for development')
    .option('--only <scenarios>', `comma-separated subset of ${SCENARIOS.join(', ')}`)
    .option('--cpu-prof <dir>', 'write CPU profiles of the bridge processes to this directory')
    .option('--tsx', 'run the child processes through tsx instead of compiling them')
    .option('--rates <rates>', 'comma-separated post rates for the latency scenario')
    .option('--docs', 'regenerate docs/benchmarks.md and its chart (default for full runs)')
    .option('--no-docs', 'do not touch docs/')
    .parse();
  const o = program.opts<{
    quick?: boolean;
    only?: string;
    cpuProf?: string;
    docs?: boolean;
    rates?: string;
    tsx?: boolean;
  }>();
  const only = o.only?.split(',').map((s) => s.trim()) as Scenario[] | undefined;
  const unknown = only?.filter((s) => !SCENARIOS.includes(s));
  if (unknown?.length) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}\n`);
    process.exit(2);
  }
  let profile = o.quick ? PROFILES.quick : PROFILES.full;
  if (o.rates) {
    const rates = o.rates.split(',').map(Number);
    if (!rates.every((r) => Number.isFinite(r) && r > 0)) {
      process.stderr.write(`--rates takes positive numbers, e.g. --rates 100,500 (got ${o.rates})\n`);
      process.exit(2);
    }
    profile = { ...profile, rates };
  }
  const log = (line: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the bridge, the workers, Redis and the fake…`);
      void abortBench().finally(() => process.exit(130));
    });
  }
  log(`profile ${profile.name}${only ? `, only ${only.join(', ')}` : ''}`);
  const results = await runBench({ profile, only, cpuProfDir: o.cpuProf, tsx: o.tsx, log });
  if (only || o.rates) results.partial = { only, rates: o.rates ? profile.rates : undefined };
  const file = writeResults(results);
  log(`results: ${file} (${Math.round(results.wallMs / 1000)} s)`);
  // --docs declared before --no-docs: undefined unless given, so full runs default to writing the docs
  if (o.docs ?? (profile.name === 'full' && !results.partial)) {
    await writeDocs(results, file);
    log(`docs: ${DOC}`);
  }
  for (const t of results.targets) log(`${t.ok ? 'met    ' : 'MISSED '} ${t.name}: ${t.value} (target ${t.target})`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
