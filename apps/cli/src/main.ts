#!/usr/bin/env -S node --import tsx
import { type Io, run } from './cli.ts';

// Output piped into `head` or a pager that quit: stop quietly, as Unix tools do, not with a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const realIo: Io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  env: process.env,
  terminal: process.stdout.isTTY ? process.stdout : undefined,
  onInterrupt(handler) {
    // Once: a second Ctrl-C ends the process as usual.
    process.once('SIGINT', handler);
    return () => void process.off('SIGINT', handler);
  },
};

process.exitCode = await run(process.argv.slice(2), realIo);
