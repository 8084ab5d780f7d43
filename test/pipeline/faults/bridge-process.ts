/**
 * The bridge's ingest + worker roles as a child process, for fault tests that
 * SIGKILL it (run with `node --import tsx`). Options come as JSON in
 * PIPELINE_OPTIONS (see PipelineOptions); prints one JSON line
 * `{"ready":true,"pid":N}` on stdout once started; SIGTERM stops it cleanly.
 */
import { createLogger } from '../../../src/logging/logger';
import { startPipeline, type PipelineOptions } from '../ingest/pipeline';

async function main(): Promise<void> {
  const options = JSON.parse(process.env.PIPELINE_OPTIONS ?? '{}') as PipelineOptions;
  const log = createLogger({ level: process.env.PIPELINE_LOG_LEVEL ?? 'warn', secrets: [options.token] });
  const pipeline = await startPipeline({ ...options, log });
  process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');
  const stop = () => {
    void pipeline.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bridge-process failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
