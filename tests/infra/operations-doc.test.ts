import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { must } from '@payouts/testing';
import { describe, expect, test } from 'vitest';
import { appEnvNames, ROOT } from './support.ts';

/**
 * docs/operations.md is what an operator follows at 3 a.m.: it must name every setting the apps
 * read, and nothing it tells them to run may be a route or command that does not exist.
 */
const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const codeSpans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => must(m[1], 'a code span'));

function cliEnvNames(): Set<string> {
  const source = readFileSync(join(ROOT, 'apps/cli/src/context.ts'), 'utf8');
  return new Set([...source.matchAll(/^\s+(PAYOUTS_[A-Z0-9_]+):/gm)].map((m) => must(m[1], 'a PAYOUTS_ name')));
}

describe('docs/operations.md', () => {
  test('the configuration reference names every variable an app parses, and no other', () => {
    const parsed = new Set([...Object.values(appEnvNames()).flatMap((s) => [...s]), ...cliEnvNames()]);
    expect(parsed.size).toBeGreaterThan(40);
    const reference = section('Configuration reference');
    const documented = new Set(codeSpans(reference).filter((s) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^PORT$/.test(s)));
    const missing = [...parsed].filter((name) => !documented.has(name)).sort();
    expect(missing, 'parsed in code, missing from the configuration reference').toEqual([]);
    const stale = [...documented].filter((name) => !parsed.has(name)).sort();
    expect(stale, 'documented, parsed by no app').toEqual([]);
  });

  test('every API route it mentions exists', () => {
    const routesDir = join(ROOT, 'apps/api/src/routes');
    const files = [
      ...readdirSync(routesDir).map((f) => join(routesDir, f)),
      join(ROOT, 'apps/api/src/app.ts'), // /metrics and the like are declared on the app itself
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const declared = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?:router|app)\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)].map((m) => ({
        method: must(m[1], `the method in ${m[0]}`).toUpperCase(),
        segments: must(m[2], `the path in ${m[0]}`).split('/').filter(Boolean),
      })),
    );
    expect(declared.length).toBeGreaterThan(20);
    const mentioned = [...doc.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[^\s`)?]+)/g)].map((m) => ({
      method: must(m[1], `the method in ${m[0]}`),
      path: must(m[2], `the path in ${m[0]}`),
    }));
    expect(mentioned.length).toBeGreaterThan(5);
    const isParam = (s: string) => s.startsWith(':') || /^\{.+\}$/.test(s);
    for (const { method, path } of mentioned) {
      // Routers are mounted under /v1 or /v1/admin (apps/api/src/app.ts); health routes at the root.
      const candidates = [path, path.replace(/^\/v1\/admin/, ''), path.replace(/^\/v1/, '')].map((p) =>
        p.split('/').filter(Boolean),
      );
      const found = declared.some(
        (r) =>
          r.method === method &&
          candidates.some(
            (c) =>
              c.length === r.segments.length &&
              c.every((s, i) => s === r.segments[i] || isParam(s) || isParam(must(r.segments[i], 'a route segment'))),
          ),
      );
      expect(found, `${method} ${path}`).toBe(true);
    }
  });

  test('every CLI command it mentions exists', () => {
    const cliDir = join(ROOT, 'apps/cli/src');
    const sources = [
      readFileSync(join(cliDir, 'cli.ts'), 'utf8'),
      ...readdirSync(join(cliDir, 'commands')).map((f) => readFileSync(join(cliDir, 'commands', f), 'utf8')),
    ].join('\n');
    const commands = new Set(
      [...sources.matchAll(/\.command\('([a-z][a-z-]*)/g)].map((m) => must(m[1], 'a command name')),
    );
    expect(commands.size).toBeGreaterThan(10);
    const invocations = [
      ...[...doc.matchAll(/pnpm (?:cli|exec payouts) ([^`\n]+)/g)].map((m) => must(m[1], 'a CLI invocation')),
      ...codeSpans(section('The CLI')),
    ];
    let checked = 0;
    for (const invocation of invocations) {
      const [command = '', subcommand] = invocation
        .replace(/^pnpm (?:cli|exec payouts)\s+/, '')
        .trim()
        .split(/\s+/);
      if (!/^[a-z][a-z-]*$/.test(command)) continue; // an option, a placeholder, a URL, a file
      checked++;
      expect(commands, invocation).toContain(command);
      if (subcommand && /^[a-z][a-z-]*$/.test(subcommand)) expect(commands, invocation).toContain(subcommand);
    }
    expect(checked).toBeGreaterThan(10);
  });

  test('every alert it names is a rule in infra/prometheus/alerts.yml', () => {
    const rules = readFileSync(join(ROOT, 'infra/prometheus/alerts.yml'), 'utf8');
    const defined = new Set([...rules.matchAll(/^\s*- alert: (\w+)/gm)].map((m) => must(m[1], 'an alert name')));
    const named = new Set(codeSpans(doc).filter((s) => /^Payouts[A-Z]\w+$/.test(s)));
    expect(named.size).toBeGreaterThan(3);
    for (const name of named) expect(defined, name).toContain(name);
  });

  test('the files and manifests it points to exist', () => {
    // What the doc says → the file that must exist for it to be true.
    const mentions: [string, string][] = [
      ['infra/Dockerfile', 'infra/Dockerfile'],
      ['infra/redis.conf', 'infra/redis.conf'],
      ['kubectl apply -k infra/k8s/base', 'infra/k8s/base/kustomization.yaml'],
      ['kubectl apply -k\ninfra/k8s/staging', 'infra/k8s/staging/kustomization.yaml'],
      ['`secret.example.yaml`', 'infra/k8s/secret.example.yaml'],
      ['`base/worker-scaledobject.yaml`', 'infra/k8s/base/worker-scaledobject.yaml'],
      ['`base/worker-hpa.alternative.yaml`', 'infra/k8s/base/worker-hpa.alternative.yaml'],
      ['`base/migrate-job.yaml`', 'infra/k8s/base/migrate-job.yaml'],
      ['`tests/recovery/redis-loss.test.ts`', 'tests/recovery/redis-loss.test.ts'],
      ['`tests/infra/compose.test.ts`', 'tests/infra/compose.test.ts'],
      ['`tests/infra/k8s.test.ts`', 'tests/infra/k8s.test.ts'],
    ];
    for (const [text, path] of mentions) {
      expect(doc, text).toContain(text);
      expect(() => readFileSync(join(ROOT, path)), path).not.toThrow();
    }
  });
});
