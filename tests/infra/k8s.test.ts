import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PROVIDER_IDS } from '@payouts/core';
import { jobIds, PROVIDER_QUEUES, providerQueueName, Queues } from '@payouts/queue';
import { must, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type App,
  appEnvError,
  appEnvNames,
  isRecord,
  loadYamlDocuments,
  ROOT,
  shutdownDeadlineMs,
} from './support.ts';

/**
 * The Kubernetes manifests (infra/k8s), checked against the code they deploy: no cluster here,
 * so no server-side validation; `kubectl kustomize` renders them in .ci/run when kubectl exists.
 */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, walked by path; the assertions are the type checks
type Yaml = any;
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, Yaml>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

const K8S = join(ROOT, 'infra/k8s');
const load = (path: string) => loadYamlDocuments(path) as Manifest[];
const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml'));

let base: Manifest[];
let staging: Manifest[];
let secrets: Manifest[];
let alternative: Manifest[];
let baseKustomization: Record<string, Yaml>;
let stagingKustomization: Record<string, Yaml>;

beforeAll(() => {
  baseKustomization = load(join(K8S, 'base/kustomization.yaml'))[0] as unknown as Record<string, Yaml>;
  stagingKustomization = load(join(K8S, 'staging/kustomization.yaml'))[0] as unknown as Record<string, Yaml>;
  base = (baseKustomization.resources as string[]).flatMap((f) => load(join(K8S, 'base', f)));
  staging = (stagingKustomization.resources as string[])
    .filter((f) => f !== '../base')
    .flatMap((f) => load(join(K8S, 'staging', f)));
  secrets = load(join(K8S, 'secret.example.yaml'));
  alternative = load(join(K8S, 'base/worker-hpa.alternative.yaml'));
});

const all = () => [...base, ...staging];
const byKind = (kind: string, from = all()) => from.filter((m) => m.kind === kind);
const find = (kind: string, name: string, from = all()) =>
  from.find((m) => m.kind === kind && m.metadata.name === name);
const get = (kind: string, name: string, from = all()) => must(find(kind, name, from), `${kind} ${name}`);
const specOf = (m: Manifest) => must(m.spec, `${m.kind} ${m.metadata.name} spec`);
const dataOf = (m: Manifest) => must(m.data, `${m.kind} ${m.metadata.name} data`);
const workloads = () => [...byKind('Deployment'), ...byKind('Job')];
const appOf = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'] as App;
const podSpec = (m: Manifest) => specOf(m).template.spec as Record<string, Yaml>;
const containers = (m: Manifest) => podSpec(m).containers as Record<string, Yaml>[];
const firstContainer = (m: Manifest) => must(containers(m)[0], `${m.metadata.name} container`);

describe('kustomizations', () => {
  test('list every manifest file, and only files that exist', () => {
    const listed = new Set(baseKustomization.resources as string[]);
    const files = yamlFiles(join(K8S, 'base')).filter(
      (f) => f !== 'kustomization.yaml' && !f.endsWith('.alternative.yaml'),
    );
    expect([...listed].sort()).toEqual(files.sort());
    // Autoscaler alternatives and secret examples are never applied by the kustomization.
    expect(listed.has('worker-hpa.alternative.yaml')).toBe(false);
    expect(yamlFiles(K8S)).toEqual(['secret.example.yaml']);

    expect(stagingKustomization.resources).toContain('../base');
    const stagingFiles = new Set([
      ...(stagingKustomization.resources as string[]),
      ...(stagingKustomization.patches as { path: string }[]).map((p) => p.path),
    ]);
    expect([...stagingFiles].filter((f) => f !== '../base').sort()).toEqual(
      yamlFiles(join(K8S, 'staging'))
        .filter((f) => f !== 'kustomization.yaml')
        .sort(),
    );
  });

  test("staging's patches change objects the base has, without adding names no app parses", () => {
    for (const { path } of stagingKustomization.patches as { path: string }[]) {
      for (const patch of load(join(K8S, 'staging', path))) {
        const target = find(patch.kind, patch.metadata.name, base);
        expect(target, `${path}: ${patch.kind}/${patch.metadata.name}`).toBeDefined();
        if (patch.kind === 'ConfigMap') {
          for (const key of Object.keys(patch.data ?? {}))
            expect(must(target, `${patch.kind}/${patch.metadata.name}`).data, `${path} ${key}`).toHaveProperty(key);
        }
      }
    }
  });

  test('every container image has an images entry to pin it to a release', () => {
    const pinned = new Set(
      [...baseKustomization.images, ...(stagingKustomization.images ?? [])].map((i: { name: string }) => i.name),
    );
    for (const w of workloads()) {
      for (const c of containers(w)) expect(pinned, `${w.metadata.name}: ${c.image}`).toContain(c.image);
    }
  });
});

describe('workloads', () => {
  test('one Deployment per app, a migrate Job, and the sandbox only in staging', () => {
    const deployments = (from: Manifest[]) => byKind('Deployment', from).map((d) => appOf(d));
    expect(deployments(base).sort()).toEqual(['api', 'reconciler', 'worker']);
    expect(deployments(staging)).toEqual(['sandbox']);
    expect(byKind('Job', base).map(appOf)).toEqual(['migrate']);
    for (const w of workloads()) {
      expect(w.metadata.name, w.metadata.name).toBe(`payouts-${appOf(w)}`);
      expect(specOf(w).template.metadata.labels['app.kubernetes.io/component']).toBe(appOf(w));
    }
  });

  test('every Deployment has readiness and liveness probes on a port it declares', () => {
    const expected: Record<string, { port: number; readiness: string; liveness: string }> = {
      api: { port: 3000, readiness: '/readyz', liveness: '/healthz' },
      worker: { port: 9464, readiness: '/healthz', liveness: '/healthz' },
      reconciler: { port: 9465, readiness: '/healthz', liveness: '/healthz' },
      sandbox: { port: 3100, readiness: '/healthz', liveness: '/healthz' },
    };
    for (const d of byKind('Deployment')) {
      const app = appOf(d);
      for (const c of containers(d)) {
        const ports = new Map(
          (c.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]),
        );
        for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
          const probe = c[kind]?.httpGet as { path: string; port: string } | undefined;
          expect(probe, `${app} ${kind}`).toBeDefined();
          const { port, path } = must(probe, `${app} ${kind}`);
          const want = must(expected[app], `the expected probes of ${app}`);
          expect(ports.get(port), `${app} ${kind} port`).toBe(want.port);
          expect(path, `${app} ${kind}`).toBe(kind === 'readinessProbe' ? want.readiness : want.liveness);
        }
      }
    }
    // The paths exist in the code that serves them.
    const health = readFileSync(join(ROOT, 'apps/api/src/routes/health.ts'), 'utf8');
    expect(health).toContain("'/readyz'");
    expect(health).toContain("'/healthz'");
    expect(readFileSync(join(ROOT, 'packages/observability/src/metrics.ts'), 'utf8')).toContain("path === '/healthz'");
  });

  test('every workload has CPU and memory requests and limits', () => {
    for (const w of workloads()) {
      for (const c of containers(w)) {
        for (const kind of ['requests', 'limits']) {
          expect(c.resources?.[kind]?.cpu, `${w.metadata.name} ${kind}.cpu`).toBeTruthy();
          expect(c.resources?.[kind]?.memory, `${w.metadata.name} ${kind}.memory`).toBeTruthy();
        }
      }
    }
  });

  test('every workload runs as non-root, without privilege escalation or capabilities', () => {
    for (const w of workloads()) {
      const pod = podSpec(w);
      expect(pod.securityContext?.runAsNonRoot, w.metadata.name).toBe(true);
      expect(pod.securityContext?.runAsUser, w.metadata.name).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, w.metadata.name).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, w.metadata.name).toBe(false);
      for (const c of containers(w)) {
        expect(c.securityContext?.allowPrivilegeEscalation, w.metadata.name).toBe(false);
        expect(c.securityContext?.readOnlyRootFilesystem, w.metadata.name).toBe(true);
        expect(c.securityContext?.capabilities?.drop, w.metadata.name).toEqual(['ALL']);
        // Libraries may spill to /tmp: it must be writable on a read-only root.
        const tmp = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.mountPath === '/tmp');
        expect(tmp, `${w.metadata.name} /tmp`).toBeDefined();
        expect(
          pod.volumes.find((v: { name: string }) => v.name === must(tmp, `${w.metadata.name} /tmp`).name)?.emptyDir,
        ).toBeDefined();
      }
    }
    const ns = find('Namespace', 'payouts', base);
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test("the grace period outlasts the apps' shutdown deadline plus any preStop pause", () => {
    const deadlineS = shutdownDeadlineMs() / 1000;
    expect(deadlineS).toBeGreaterThan(0);
    for (const w of workloads()) {
      const pod = podSpec(w);
      for (const c of containers(w)) {
        const preStop = c.lifecycle?.preStop?.exec?.command as string[] | undefined;
        const pause = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
        expect(pod.terminationGracePeriodSeconds, w.metadata.name).toBeGreaterThan(deadlineS + pause);
      }
    }
    // The API keeps serving while its endpoint is withdrawn from load balancers.
    const api = firstContainer(get('Deployment', 'payouts-api'));
    expect(api.lifecycle.preStop.exec.command[0]).toBe('sleep');
  });

  test('every environment variable a workload gets is one its app parses, and the app would start', () => {
    const parsed = appEnvNames();
    for (const w of workloads()) {
      const app = appOf(w);
      for (const c of containers(w)) {
        const env: Record<string, string> = {};
        for (const e of (c.env ?? []) as { name: string; value?: string }[]) env[e.name] = e.value ?? 'from-a-ref';
        for (const from of (c.envFrom ?? []) as Record<string, { name: string; optional?: boolean }>[]) {
          const [kind, ref] = from.configMapRef
            ? ['ConfigMap', from.configMapRef]
            : ['Secret', must(from.secretRef, `${w.metadata.name} envFrom ref`)];
          const source = kind === 'ConfigMap' ? find('ConfigMap', ref.name) : find('Secret', ref.name, secrets);
          expect(source, `${w.metadata.name} refers to ${kind} ${ref.name}`).toBeDefined();
          const { data, stringData } = must(source, `${kind} ${ref.name}`);
          Object.assign(env, data ?? stringData ?? {});
        }
        const unknown = Object.keys(env).filter((name) => !parsed[app].has(name));
        expect(unknown, `${w.metadata.name} gets variables ${app} does not parse`).toEqual([]);
        expect(appEnvError(app, env), w.metadata.name).toBeNull();
        if (app !== 'sandbox') expect(env, w.metadata.name).toHaveProperty('DATABASE_URL');
        if (['api', 'worker', 'reconciler'].includes(app)) expect(env, w.metadata.name).toHaveProperty('REDIS_URL');
      }
    }
    // Every key of every ConfigMap reaches at least one app (nothing configured into the void).
    const consumed = new Set(
      workloads().flatMap((w) =>
        containers(w).flatMap((c) =>
          ((c.envFrom ?? []) as { configMapRef?: { name: string } }[]).flatMap((f) => f.configMapRef?.name ?? []),
        ),
      ),
    );
    for (const cm of byKind('ConfigMap')) expect(consumed, cm.metadata.name).toContain(cm.metadata.name);
  });

  test('the metrics ports the probes use are the ports the apps are configured to serve', () => {
    for (const [app, port] of [
      ['worker', '9464'],
      ['reconciler', '9465'],
    ] as const) {
      expect(dataOf(get('ConfigMap', `payouts-${app}`)).METRICS_PORT).toBe(port);
      const c = firstContainer(get('Deployment', `payouts-${app}`));
      expect(c.ports.find((p: { name: string }) => p.name === 'metrics').containerPort).toBe(Number(port));
    }
  });

  test('Services and PodDisruptionBudgets select pods that exist', () => {
    const podLabels = byKind('Deployment').map((d) => specOf(d).template.metadata.labels as Record<string, string>);
    const selects = (selector: Record<string, string>) =>
      podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
    for (const s of byKind('Service')) expect(selects(specOf(s).selector), s.metadata.name).toBe(true);
    for (const p of byKind('PodDisruptionBudget'))
      expect(selects(specOf(p).selector.matchLabels), p.metadata.name).toBe(true);
    const budgeted = new Set(byKind('PodDisruptionBudget', base).map((p) => p.metadata.name));
    for (const d of byKind('Deployment', base)) expect(budgeted, d.metadata.name).toContain(d.metadata.name);
  });
});

describe('worker autoscaling on queue depth', () => {
  const scaledObject = () => get('ScaledObject', 'payouts-worker', base);
  const prefix = () => must(dataOf(get('ConfigMap', 'payouts-common')).QUEUE_PREFIX, 'QUEUE_PREFIX in payouts-common');

  test("KEDA watches each provider queue's wait list, under the deployed QUEUE_PREFIX", () => {
    const so = scaledObject();
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    expect(specOf(so).scaleTargetRef.name).toBe('payouts-worker');
    expect(find('Deployment', specOf(so).scaleTargetRef.name)).toBeDefined();
    expect(specOf(so).minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(specOf(so).maxReplicaCount).toBeGreaterThan(specOf(so).minReplicaCount);
    const lists = (specOf(so).triggers as { type: string; metadata: Record<string, string> }[])
      .filter((t) => t.type === 'redis')
      .map((t) => t.metadata.listName);
    expect(prefix()).toBe('{payouts}');
    expect(lists.sort()).toEqual(PROVIDER_QUEUES.map((q) => `${prefix()}:${q}:wait`).sort());
    for (const t of specOf(so).triggers as {
      metadata: Record<string, string>;
      authenticationRef: { name: string };
    }[]) {
      expect(Number(t.metadata.listLength)).toBeGreaterThan(0);
      expect(t.metadata.address).toMatch(/^[a-z0-9.-]+:\d+$/);
      const auth = find('TriggerAuthentication', t.authenticationRef.name, base);
      expect(auth).toBeDefined();
      for (const ref of specOf(must(auth, `TriggerAuthentication ${t.authenticationRef.name}`)).secretTargetRef as {
        name: string;
        key: string;
      }[]) {
        expect(find('Secret', ref.name, secrets)?.stringData, ref.name).toHaveProperty(ref.key);
      }
    }
  });

  test('the HPA alternative targets the worker on the exported waiting-jobs metric, and is not applied', () => {
    const hpa = must(alternative[0], 'the HPA alternative');
    expect(hpa.kind).toBe('HorizontalPodAutoscaler');
    expect(specOf(hpa).scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'payouts-worker' });
    const metric = specOf(hpa).metrics[0].external.metric;
    expect(metric.name).toBe('payouts_queue_jobs');
    expect(metric.selector.matchLabels).toEqual({ state: 'waiting' });
    expect(byKind('HorizontalPodAutoscaler')).toEqual([]);
  });

  describe('against real BullMQ', () => {
    let redis: Redis;
    let queues: Queues;
    const testPrefix = testQueuePrefix();
    beforeAll(() => {
      redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
      queues = new Queues(redis, testPrefix);
    });
    afterAll(async () => {
      await queues?.close();
      const keys = await redis.keys(`${testPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis?.disconnect();
    });

    test('a payout handed to its provider waits in exactly the list KEDA reads; batch payouts do not', async () => {
      // The KEDA list names with the deployed prefix swapped for this test's own.
      const listFor = (provider: (typeof PROVIDER_IDS)[number]) =>
        must(
          (specOf(scaledObject()).triggers as { metadata: { listName: string } }[])
            .map((t) => t.metadata.listName)
            .find((name) => name === `${prefix()}:${providerQueueName(provider)}:wait`),
          `the KEDA list of ${provider}`,
        ).replace(prefix(), testPrefix);
      await queues.submitAll([
        { provider: 'razorpayx', payoutId: 'po_keda_single_1' },
        { provider: 'razorpayx', payoutId: 'po_keda_single_2' },
        { provider: 'druo', payoutId: 'po_keda_single_3' },
        { provider: 'razorpayx', payoutId: 'po_keda_batch_1', batch: true },
      ]);
      // The two RazorpayX payouts ride in one `submits` job: one entry in the list.
      expect(await redis.lrange(listFor('razorpayx'), 0, -1)).toEqual([
        jobIds.submits(['po_keda_single_1', 'po_keda_single_2']),
      ]);
      expect(await redis.llen(listFor('druo'))).toBe(1);
      expect(await redis.llen(listFor('krayon'))).toBe(0);
      // Documented in worker-scaledobject.yaml: a batch run's jobs are prioritized, kept elsewhere.
      expect(await redis.zcard(`${testPrefix}:${providerQueueName('razorpayx')}:prioritized`)).toBe(1);
    });
  });
});

test('the example Secrets hold placeholders only', () => {
  for (const s of secrets) {
    expect(s.kind).toBe('Secret');
    for (const [key, value] of Object.entries(s.stringData ?? {}))
      expect(value, `${s.metadata.name} ${key}`).toMatch(/REPLACE_ME/);
    expect(s.data, s.metadata.name).toBeUndefined();
  }
  expect(isRecord(secrets[0])).toBe(true);
});
