import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  apiMetrics,
  createRegistry,
  reconcilerMetrics,
  registerBudgetMetrics,
  registerCircuitMetrics,
  registerDowntimeMetrics,
  registerLedgerMetrics,
  registerPayoutStateMetrics,
  registerQueueMetrics,
  registerWebhookMetrics,
  workerMetrics,
} from '@payouts/observability';
import { readReconcilerEnv } from '@payouts/reconciler';
import { must } from '@payouts/testing';
import { readWorkerEnv } from '@payouts/worker';
import { describe, expect, test } from 'vitest';
import { promtool } from './promtool.ts';

/**
 * The Prometheus configuration, alert rules and Grafana dashboard in infra/ against the metrics
 * the code actually registers: a renamed metric breaks this test, not a dashboard nobody looks at
 * until the night it is needed; and promtool's own checks of the configuration and the rules.
 */
const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

function registeredNames(): Set<string> {
  const registry = createRegistry('check', { defaultMetrics: true });
  apiMetrics(registry);
  workerMetrics(registry);
  reconcilerMetrics(registry);
  registerQueueMetrics(registry, () => []);
  registerCircuitMetrics(registry, () => []);
  registerPayoutStateMetrics(registry, async () => []);
  registerLedgerMetrics(registry, async () => []);
  registerWebhookMetrics(registry, async () => ({ groups: [], lagSeconds: 0 }));
  registerDowntimeMetrics(registry, async () => []);
  registerBudgetMetrics(registry, () => []);
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${m.name}${suffix}`);
  }
  return names;
}

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricsIn(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...withoutLabels.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)]
    .map((m) => must(m[1], `a metric name in ${expr}`))
    .filter((n) => /_/.test(n) && !n.startsWith('__'));
}

describe('infra/ against the metrics in code', () => {
  const names = registeredNames();

  test('every metric is named payouts_* (or is a default Node metric), with bounded labels', () => {
    const registry = createRegistry('check', { defaultMetrics: false });
    apiMetrics(registry);
    workerMetrics(registry);
    reconcilerMetrics(registry);
    const ours = registry.getMetricsAsArray();
    expect(ours.length).toBeGreaterThan(5);
    for (const m of ours) expect(m.name).toMatch(/^payouts_[a-z_]+$/);
    expect(names.has('payouts_transitions_total')).toBe(true);
    expect(names.has('payouts_end_to_end_seconds_bucket')).toBe(true);
  });

  test('every alert rule names only metrics that exist, and each promised alert is there', () => {
    const alerts = read('infra/prometheus/alerts.yml');
    const exprs = [...alerts.matchAll(/expr:\s*(\|\n((?:\s{10,}.*\n)+)|(.*))/g)].map((m) =>
      (m[2] ?? m[3] ?? '').trim(),
    );
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    for (const expr of exprs) {
      const used = metricsIn(expr);
      // `up` is Prometheus's own series for every target; every other rule reads one of ours.
      if (!/^up\{/.test(expr)) expect(used.length, expr).toBeGreaterThan(0);
      for (const name of used) expect(names, `${name} in: ${expr}`).toContain(name);
    }
    for (const alert of [
      'PayoutsStuck',
      'PayoutsProviderErrorRate',
      'PayoutsQueueBacklog',
      'PayoutsLedgerImbalance',
      'PayoutsCircuitOpen',
      'PayoutsWebhookDeliveryLag',
      'PayoutsProviderMismatch',
      'PayoutsReconciliationDrift',
    ]) {
      expect(alerts).toMatch(new RegExp(`- alert: ${alert}\\n`));
    }
  });

  test('promtool accepts the alert rules and the Prometheus configuration', () => {
    const rules = promtool(['check', 'rules', resolve(root, 'infra/prometheus/alerts.yml')]);
    expect(rules.status, rules.output).toBe(0);
    expect(rules.output).toMatch(/SUCCESS: \d+ rules found/);
    // The rule file is named by its path inside the container (/etc/prometheus), so the syntax only.
    const config = promtool(['check', 'config', '--syntax-only', resolve(root, 'infra/prometheus/prometheus.yml')]);
    expect(config.status, config.output).toBe(0);
  });

  test('every dashboard panel queries metrics that exist', () => {
    const dashboard = JSON.parse(read('infra/grafana/dashboards/payouts.json')) as {
      uid: string;
      panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('payouts-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    const used = new Set<string>();
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        for (const name of metricsIn(target.expr.replace(/\$__rate_interval/g, '5m'))) {
          expect(names, `${name} in panel "${panel.title}"`).toContain(name);
          used.add(name.replace(/_(bucket|count|sum)$/, ''));
        }
      }
    }
    // Each of our metrics is on the dashboard.
    for (const name of names) {
      if (
        name.startsWith('payouts_') &&
        !/_(bucket|count|sum)$/.test(name) &&
        name !== 'payouts_circuit_opened_total'
      ) {
        expect(used, name).toContain(name);
      }
    }
  });

  test('Prometheus scrapes the compose services on the ports the apps listen on by default', () => {
    const prometheus = read('infra/prometheus/prometheus.yml');
    const base = { DATABASE_URL: 'postgres://x' };
    expect(prometheus).toContain('targets: ["api:3000"]');
    expect(prometheus).toMatch(
      new RegExp(`names: \\["worker"\\]\\n\\s+type: A\\n\\s+port: ${readWorkerEnv(base).METRICS_PORT}\\n`),
    );
    expect(prometheus).toMatch(
      new RegExp(`names: \\["reconciler"\\]\\n\\s+type: A\\n\\s+port: ${readReconcilerEnv(base).METRICS_PORT}\\n`),
    );
    expect(prometheus).toContain('/etc/prometheus/alerts.yml');
    const compose = read('docker-compose.yml');
    for (const service of ['api', 'worker', 'reconciler']) expect(compose).toMatch(new RegExp(`\\n  ${service}:\\n`));
  });
});
