#!/usr/bin/env -S node --import tsx
import { run } from './cli.ts';

const realIo = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  env: process.env,
};

process.exitCode = await run(process.argv.slice(2), realIo);
