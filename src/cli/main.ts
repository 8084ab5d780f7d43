#!/usr/bin/env node
import { main } from './program';

main(process.argv.slice(2)).then(
  (code) => {
    // serve/stdio/sandbox keep running through their own handles; exit only on failure or one-shot commands
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
