import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiEnvSchema } from '@payouts/api';
import * as config from '@payouts/config';
import { reconcilerEnvSchema } from '@payouts/reconciler';
import { must } from '@payouts/testing';
import { workerEnvSchema } from '@payouts/worker';
import { loadEnv as loadSandboxEnv, sandboxEnvSchema } from '../../apps/sandbox/src/env.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Every YAML document in a file, as plain data. No YAML parser is resolvable from the workspace
 * root (only as a transitive dependency), so PyYAML does the parsing: it is on this machine and
 * .ci/run installs it (python3-yaml) when missing. PyYAML reads YAML 1.1, as docker-compose does,
 * merge keys (`<<`) included.
 */
export function loadYamlDocuments(path: string): unknown[] {
  const script = [
    'import json, sys, yaml',
    'with open(sys.argv[1]) as f:',
    '    docs = [d for d in yaml.safe_load_all(f) if d is not None]',
    'print(json.dumps(docs))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script, path], { encoding: 'utf8' });
  return JSON.parse(out) as unknown[];
}

export function loadYaml(path: string): unknown {
  const docs = loadYamlDocuments(path);
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`);
  return docs[0];
}

export type App = 'api' | 'worker' | 'reconciler' | 'sandbox' | 'migrate';

/**
 * The environment variable names each app parses, read from the code itself: the zod schemas of
 * api, worker, reconciler and sandbox; the migration step's `process.env.X` reads.
 */
export function appEnvNames(): Record<App, Set<string>> {
  const migrateSource = readFileSync(join(ROOT, 'packages/db/src/migrate-cli.ts'), 'utf8');
  const migrate = new Set(
    [...migrateSource.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => must(m[1], 'a migrate env name')),
  );
  return {
    api: new Set(Object.keys(apiEnvSchema.shape)),
    worker: new Set(Object.keys(workerEnvSchema.shape)),
    reconciler: new Set(Object.keys(reconcilerEnvSchema.shape)),
    sandbox: new Set(Object.keys(sandboxEnvSchema.shape)),
    migrate,
  };
}

/**
 * Parses an environment exactly as the app does at start; returns the app's own error message, or
 * null when it would start. Nothing from the test process's environment leaks in.
 */
export function appEnvError(app: App, env: Record<string, string>): string | null {
  try {
    if (app === 'api') config.parseEnv(apiEnvSchema, env);
    else if (app === 'worker') config.parseEnv(workerEnvSchema, env);
    else if (app === 'reconciler') config.parseEnv(reconcilerEnvSchema, env);
    else if (app === 'sandbox') loadSandboxEnv(env);
    else if (!env.DATABASE_URL) return 'DATABASE_URL is not set';
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The longest shutdown deadline any app gives itself after SIGTERM (installSignalHandlers in each
 * main.ts), in ms: the orchestrator's grace period must be at least this.
 */
export function shutdownDeadlineMs(): number {
  const deadlines: number[] = [];
  for (const app of readdirSync(join(ROOT, 'apps'))) {
    let source: string;
    try {
      source = readFileSync(join(ROOT, 'apps', app, 'src/main.ts'), 'utf8');
    } catch {
      continue;
    }
    for (const m of source.matchAll(/deadlineMs:\s*([\d_]+)/g))
      deadlines.push(Number(must(m[1], 'a deadline').replaceAll('_', '')));
  }
  if (deadlines.length === 0) throw new Error('no shutdown deadline found in apps/*/src/main.ts');
  return Math.max(...deadlines);
}

/** `20s`, `1m30s`, `500ms` (compose durations) in ms. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  let rest = value.trim();
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    if (!m) throw new Error(`"${value}" is not a duration`);
    total += Number(m[1]) * must(units[must(m[2], 'a unit')], `the unit of ${value}`);
    rest = rest.slice(m[0].length);
  }
  return total;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
