import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { NODE_FLAGS } from '@payouts/runtime';
import { must } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILDS } from '../../scripts/build.ts';
import {
  type App,
  appEnvError,
  appEnvNames,
  durationMs,
  isRecord,
  loadYaml,
  loadYamlDocuments,
  ROOT,
  shutdownDeadlineMs,
} from './support.ts';

/**
 * `docker compose config` in CI without a Docker engine: the compose CLI validates the file against
 * the Compose specification's schema, resolves anchors, merges and interpolation, and refuses
 * unknown keys and dependencies on undefined services — all without a daemon. The v2 plugin
 * (`docker compose`) is used when installed, else Debian's `docker-compose` (v1.29, which
 * .ci/run installs). What the schema cannot know is checked below against the code: each
 * service's environment names are ones its app parses, its files exist, its grace period outlasts
 * the apps' shutdown deadline.
 */
function composeCommand(): [string, ...string[]] {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  throw new Error(
    'No compose CLI: install the Docker compose plugin, or `apt-get install --no-install-recommends docker-compose` (.ci/run does)',
  );
}

function compose(args: string[], cwd = ROOT) {
  const [bin, ...pre] = composeCommand();
  return spawnSync(bin, [...pre, ...args], {
    cwd,
    encoding: 'utf8',
    // No developer .env or shell value may change what CI validates.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });
}

const APP_SERVICES: Record<string, App> = {
  api: 'api',
  worker: 'worker',
  reconciler: 'reconciler',
  sandbox: 'sandbox',
  migrate: 'migrate',
};
const LONG_RUNNING_APPS = ['api', 'worker', 'reconciler', 'sandbox'];

let scratch: string;
let services: Record<string, Record<string, unknown>>;
const composeService = (name: string) => must(services[name], `compose service ${name}`);

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'compose-test-'));
  const result = compose(['--profile', 'monitoring', 'config']);
  if (result.status !== 0) throw new Error(`compose config failed:\n${result.stderr}`);
  const resolvedPath = join(scratch, 'resolved.yml');
  writeFileSync(resolvedPath, result.stdout);
  const resolved = loadYaml(resolvedPath);
  if (!isRecord(resolved) || !isRecord(resolved.services)) throw new Error('resolved compose file has no services');
  services = resolved.services as Record<string, Record<string, unknown>>;
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  test('validates with the compose CLI, with and without the monitoring profile', () => {
    for (const args of [
      ['config', '--quiet'],
      ['--profile', 'monitoring', 'config', '--quiet'],
    ]) {
      const result = compose(args);
      expect(result.stderr).not.toMatch(/error|invalid|unsupported/i);
      expect(result.status).toBe(0);
    }
  });

  test('the validator rejects what the specification does not allow (it is not a no-op)', () => {
    const cases = {
      'unknown key': 'services:\n  a:\n    image: redis\n    stop_grace_periodd: 20s\n',
      'undefined dependency':
        'services:\n  a:\n    image: redis\n    depends_on:\n      b: { condition: service_healthy }\n',
      'bad condition':
        'services:\n  a:\n    image: redis\n    depends_on:\n      a2: { condition: done }\n  a2:\n    image: redis\n',
    };
    for (const [name, body] of Object.entries(cases)) {
      const dir = mkdtempSync(join(scratch, 'bad-'));
      writeFileSync(join(dir, 'docker-compose.yml'), body);
      const result = compose(['config', '--quiet'], dir);
      expect(result.status, name).not.toBe(0);
    }
  });

  test('runs every app, Redis, Postgres and the migration step; monitoring only in its profile', () => {
    for (const name of [...Object.keys(APP_SERVICES), 'redis', 'postgres', 'prometheus', 'grafana']) {
      expect(services, name).toHaveProperty(name);
    }
    expect(composeService('prometheus').profiles).toEqual(['monitoring']);
    expect(composeService('grafana').profiles).toEqual(['monitoring']);
    const defaultServices = Object.keys(services)
      .filter((name) => !composeService(name).profiles)
      .sort();
    expect(defaultServices).toEqual(['api', 'migrate', 'postgres', 'reconciler', 'redis', 'sandbox', 'worker']);
  });

  test("every environment variable a service sets is one its app parses (the apps' env.ts)", () => {
    const parsed = appEnvNames();
    for (const [service, app] of Object.entries(APP_SERVICES)) {
      const env = composeService(service).environment;
      expect(isRecord(env), service).toBe(true);
      const names = Object.keys(env as object);
      expect(names.length, service).toBeGreaterThan(0);
      const unknown = names.filter((n) => !parsed[app].has(n));
      expect(unknown, `${service} sets variables ${app} does not parse`).toEqual([]);
    }
    // What each app cannot start without, or would silently get wrong in containers.
    for (const service of ['api', 'worker', 'reconciler', 'migrate']) {
      expect(composeService(service).environment, service).toHaveProperty('DATABASE_URL');
    }
    for (const service of ['api', 'worker', 'reconciler']) {
      const env = composeService(service).environment as Record<string, string>;
      expect(env.REDIS_URL, service).toBe('redis://redis:6379');
      expect(env.QUEUE_PREFIX, service).toBe('{payouts}');
    }
    for (const service of ['api', 'worker']) {
      const env = composeService(service).environment as Record<string, string>;
      for (const name of ['RAZORPAYX_BASE_URL', 'KRAYON_BASE_URL', 'THAI_GATEWAY_BASE_URL', 'DRUO_BASE_URL']) {
        // The default (127.0.0.1) would point at the container itself.
        expect(env[name], `${service} ${name}`).toMatch(/^http:\/\/sandbox:3100\//);
      }
    }
    expect((composeService('sandbox').environment as Record<string, string>).SANDBOX_WEBHOOK_BASE_URL).toBe(
      'http://api:3000',
    );
  });

  test('each app would start with the environment its service gives it', () => {
    for (const [service, app] of Object.entries(APP_SERVICES)) {
      const env = composeService(service).environment as Record<string, string>;
      expect(appEnvError(app, env), service).toBeNull();
    }
  });

  test('apps start after the migration succeeded and their stores are healthy; health checks exist', () => {
    for (const service of ['api', 'worker', 'reconciler']) {
      const deps = composeService(service).depends_on as Record<string, { condition: string }>;
      expect(deps.migrate?.condition, service).toBe('service_completed_successfully');
      expect(deps.redis?.condition, service).toBe('service_healthy');
      expect(deps.postgres?.condition, service).toBe('service_healthy');
    }
    expect((composeService('migrate').depends_on as Record<string, { condition: string }>).postgres?.condition).toBe(
      'service_healthy',
    );
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, spec] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        if (spec.condition === 'service_healthy')
          expect(composeService(dep).healthcheck, `${dep} health check`).toBeTruthy();
      }
    }
    for (const name of [...LONG_RUNNING_APPS, 'redis', 'postgres']) {
      const check = composeService(name).healthcheck as { test: string[] } | undefined;
      expect(check?.test?.length, name).toBeGreaterThan(1);
    }
    expect(composeService('migrate').restart ?? 'no').toBe('no');
  });

  test('health checks probe the paths and ports the apps serve', () => {
    const probe = (name: string) => (composeService(name).healthcheck as { test: string[] }).test.join(' ');
    expect(probe('api')).toContain('127.0.0.1:3000/readyz');
    expect(probe('worker')).toContain('127.0.0.1:9464/healthz');
    expect(probe('reconciler')).toContain('127.0.0.1:9465/healthz');
    expect(probe('sandbox')).toContain('127.0.0.1:3100/healthz');
    expect(readFileSync(join(ROOT, 'apps/api/src/routes/health.ts'), 'utf8')).toContain("'/readyz'");
    expect(readFileSync(join(ROOT, 'apps/sandbox/src/app.ts'), 'utf8')).toContain("'/healthz'");
    // Worker and reconciler answer on their metrics server (serveMetrics), at the port they are given.
    expect(readFileSync(join(ROOT, 'packages/observability/src/metrics.ts'), 'utf8')).toContain("path === '/healthz'");
    expect((composeService('worker').environment as Record<string, string>).METRICS_PORT).toBe('9464');
    expect((composeService('reconciler').environment as Record<string, string>).METRICS_PORT).toBe('9465');
  });

  test("the stop grace period outlasts the apps' shutdown deadline", () => {
    const deadline = shutdownDeadlineMs();
    expect(deadline).toBeGreaterThan(0);
    for (const name of LONG_RUNNING_APPS) {
      const grace = composeService(name).stop_grace_period;
      expect(typeof grace, name).toBe('string');
      expect(durationMs(grace as string), name).toBeGreaterThan(deadline);
    }
  });

  test('every build uses a target of infra/Dockerfile; every mounted host path exists', () => {
    const dockerfile = readFileSync(join(ROOT, 'infra/Dockerfile'), 'utf8');
    const stages = new Set(
      [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => must(m[1], 'a stage name')),
    );
    for (const [name, app] of Object.entries(APP_SERVICES)) {
      const build = composeService(name).build as { context: string; dockerfile: string; target: string };
      expect(build.context, name).toBe(ROOT);
      expect(existsSync(join(build.context, build.dockerfile)), name).toBe(true);
      expect(build.target, name).toBe(app);
      expect(stages, name).toContain(build.target);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as (string | { type: string; source: string })[]) {
        const source = typeof volume === 'string' ? must(volume.split(':')[0], `${name} volume source`) : volume.source;
        if (!source.startsWith('/')) continue; // a named volume
        expect(existsSync(source), `${name} mounts ${relative(ROOT, source)}`).toBe(true);
      }
    }
  });

  test('Redis keeps an append-only file and never evicts (a queued job must not vanish)', () => {
    const volumes = composeService('redis').volumes as string[];
    expect(volumes.some((v) => v.startsWith(`${join(ROOT, 'infra/redis.conf')}:`))).toBe(true);
    const conf = readFileSync(join(ROOT, 'infra/redis.conf'), 'utf8');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(composeService('redis').command).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf']);
  });

  test('Prometheus and Grafana get their configuration from infra/prometheus and infra/grafana', () => {
    const prometheusVolumes = composeService('prometheus').volumes as string[];
    expect(prometheusVolumes).toContain(`${join(ROOT, 'infra/prometheus')}:/etc/prometheus:ro`);
    const prometheusConfig = loadYaml(join(ROOT, 'infra/prometheus/prometheus.yml')) as {
      scrape_configs: {
        metrics_path?: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    // Every app's metrics endpoint is scraped at the compose service name and port, statically or
    // through DNS (which finds every replica of a scaled service).
    const targets = prometheusConfig.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets.map((t) => `${t}${job.metrics_path ?? '/metrics'}`)),
      ...(job.dns_sd_configs ?? []).flatMap((c) =>
        c.names.map((name) => `${name}:${c.port}${job.metrics_path ?? '/metrics'}`),
      ),
    ]);
    for (const target of ['api:3000/metrics', 'worker:9464/metrics', 'reconciler:9465/metrics']) {
      expect(targets).toContain(target);
      expect(services, target).toHaveProperty(must(target.split(':')[0], `${target} service`));
    }

    const grafanaVolumes = composeService('grafana').volumes as string[];
    expect(grafanaVolumes).toContain(`${join(ROOT, 'infra/grafana/provisioning')}:/etc/grafana/provisioning:ro`);
    const dashboardsMount = grafanaVolumes.find((v) => v.startsWith(`${join(ROOT, 'infra/grafana/dashboards')}:`));
    expect(dashboardsMount).toBeDefined();
    const dashboardsPath = must(must(dashboardsMount, 'the dashboards mount').split(':')[1], 'the dashboards path');
    // The dashboard provider must read from where the dashboards are mounted.
    const providers = execFileSync('sh', ['-c', 'ls infra/grafana/provisioning/dashboards/*.yml'], { cwd: ROOT })
      .toString()
      .trim()
      .split('\n');
    const paths = providers.flatMap((file) =>
      loadYamlDocuments(join(ROOT, file)).flatMap((doc) =>
        ((doc as { providers?: { options?: { path?: string } }[] }).providers ?? []).map((p) => p.options?.path),
      ),
    );
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path?.startsWith(dashboardsPath), `provider path ${path}`).toBe(true);
  });
});

describe('infra/Dockerfile', () => {
  const dockerfile = () => readFileSync(join(ROOT, 'infra/Dockerfile'), 'utf8');

  test('installs with the pnpm packageManager names, from the frozen lockfile', () => {
    const text = dockerfile();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string };
    expect(pkg.packageManager).toMatch(/^pnpm@10\./);
    expect(text).toContain("require('./package.json').packageManager");
    expect(text).toMatch(/^RUN pnpm install --frozen-lockfile/m);
  });

  test('every app target runs as a non-root user, from the runtime stage, a file that exists', () => {
    const text = dockerfile();
    const stages = text.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
    const runtime = stages.find((s) => /AS runtime$/m.test(must(s.split('\n')[0], 'a FROM line')));
    expect(runtime).toBeDefined();
    expect(runtime).toMatch(/^USER node$/m);
    // Compiled JavaScript, not tsx: the deps stage builds it after the install.
    expect(runtime).toContain('ENTRYPOINT ["node", "--enable-source-maps"]');
    expect(text).toMatch(/^RUN pnpm build$/m);
    for (const app of ['migrate', 'api', 'worker', 'reconciler', 'sandbox'] as const) {
      const stage = stages.find((s) => s.startsWith(`FROM runtime AS ${app}\n`));
      expect(stage, app).toBeDefined();
      expect(stage, app).not.toMatch(/^USER /m);
      const args = /^CMD \[(.+)\]$/m
        .exec(must(stage, `the ${app} stage`))?.[1]
        ?.split(', ')
        .map((arg) => JSON.parse(arg) as string);
      const cmd = args?.at(-1);
      // Before it, the V8 flags production starts the app with, as `pnpm start:dist` and the bench do.
      if (app !== 'migrate') expect(args?.slice(0, -1), `${app} CMD flags`).toEqual(NODE_FLAGS[app]);
      // The command is a file `pnpm build` writes, from a source file that exists.
      const built = BUILDS.find((b) => b.out === cmd);
      expect(built, `${app} CMD ${cmd} is one of scripts/build.ts's outputs`).toBeDefined();
      expect(existsSync(join(ROOT, must(built, `${app}'s build`).entry)), `${app} entry ${built?.entry}`).toBe(true);
    }
    // The default target (the last stage) is the API.
    expect(must(stages.at(-1), 'the last stage').split('\n')[0]).toBe('FROM runtime AS api');
  });

  test('.dockerignore keeps what the build needs and drops host modules', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('**/node_modules');
    // scripts/ stays out of the image but its build script, which the image runs.
    expect(ignored).toContain('!scripts/build.ts');
    for (const needed of [
      'apps',
      'packages',
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.json',
    ]) {
      expect(ignored, needed).not.toContain(needed);
    }
  });
});
