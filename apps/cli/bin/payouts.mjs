#!/usr/bin/env node
// The `payouts` command (`pnpm exec payouts …`): the CLI without pnpm's script banner and its
// ELIFECYCLE line on a non-zero exit, so scripts read only what the CLI prints and its exit code.
// The sources are TypeScript, loaded through tsx as every app of the repository is.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
