import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ROUTES, PROVIDERS, workerLimitNames } from '@payouts/providers';
import { describe, expect, test } from 'vitest';
import { SIMULATORS } from '../../apps/sandbox/src/simulators.ts';
import { isRecord, loadYaml, loadYamlDocuments, ROOT } from './support.ts';

/*
 * Deployment files must list per-provider variables by hand (YAML has no loop), so they are checked
 * against the providers' registrations (packages/providers/src/registry.ts): a provider added to the
 * list fails here until compose, the manifests and the example Secret carry its variables, and a
 * default changed in a registration fails here until the manifests agree.
 */

type Data = Record<string, string>;

const variables = (provider: (typeof PROVIDERS)[number]) => Object.keys(provider.env('http://sandbox.invalid'));
/** What the sandbox reads of a provider's variables: all but where the provider is. */
const simulated = (provider: (typeof PROVIDERS)[number]) =>
  variables(provider).filter((name) => name !== provider.baseUrlEnv);
const credentials = (provider: (typeof PROVIDERS)[number]) => provider.credentialEnv;
const sorted = (names: Iterable<string>) => [...names].sort();

function environmentOf(service: string): Data {
  const compose = loadYaml(join(ROOT, 'docker-compose.yml'));
  if (!isRecord(compose) || !isRecord(compose.services)) throw new Error('docker-compose.yml has no services');
  const found = compose.services[service];
  if (!isRecord(found) || !isRecord(found.environment))
    throw new Error(`compose service ${service} has no environment`);
  return found.environment as Data;
}

function configMap(file: string, name: string): Data {
  for (const doc of loadYamlDocuments(join(ROOT, 'infra/k8s', file))) {
    if (isRecord(doc) && isRecord(doc.metadata) && doc.metadata.name === name && isRecord(doc.data ?? doc.stringData)) {
      return (doc.data ?? doc.stringData) as Data;
    }
  }
  throw new Error(`${file} has no ${name}`);
}

const providerNames = (data: Data) =>
  Object.keys(data).filter((k) => PROVIDERS.some((p) => k.startsWith(`${p.envPrefix}_`)));

describe('docker-compose.yml', () => {
  test('api and worker reach every provider at the sandbox service', () => {
    for (const service of ['api', 'worker']) {
      const env = environmentOf(service);
      for (const provider of PROVIDERS) expect(env[provider.baseUrlEnv]).toBe(`http://sandbox:3100/${provider.id}`);
    }
  });

  test("the worker raises every provider's rate for the sandbox, and names no provider it does not know", () => {
    const env = environmentOf('worker');
    const rates = PROVIDERS.map((p) => workerLimitNames(p).ratePerSecond);
    for (const name of rates) expect(env[name], name).toBe('200');
    expect(sorted(providerNames(env))).toEqual(sorted([...PROVIDERS.map((p) => p.baseUrlEnv), ...rates]));
  });
});

describe('infra/k8s', () => {
  test('base: every provider has an endpoint and its settings, and its worker limits are its registered defaults', () => {
    const endpoints = configMap('base/configmap.yaml', 'payouts-providers');
    expect(sorted(providerNames(endpoints))).toEqual(
      sorted(PROVIDERS.flatMap((p) => [p.baseUrlEnv, ...p.settingsEnv])),
    );
    const worker = configMap('base/configmap.yaml', 'payouts-worker');
    const expected: Data = {};
    for (const provider of PROVIDERS) {
      const names = workerLimitNames(provider);
      expected[names.concurrency] = String(provider.worker.concurrency);
      expected[names.ratePerSecond] = String(provider.worker.ratePerSecond);
    }
    expect(Object.fromEntries(providerNames(worker).map((k) => [k, worker[k]]))).toEqual(expected);
  });

  test("base: the api's PROVIDER_ROUTES are the registered default routes", () => {
    const routes = Object.entries(DEFAULT_ROUTES).map(([currency, provider]) => `${currency}=${provider}`);
    expect(configMap('base/configmap.yaml', 'payouts-api').PROVIDER_ROUTES).toBe(routes.join(','));
  });

  test('staging: every provider points at the sandbox, with the sandbox rate', () => {
    const endpoints = configMap('staging/providers-to-sandbox.yaml', 'payouts-providers');
    const rates = configMap('staging/worker-rates.yaml', 'payouts-worker');
    for (const provider of PROVIDERS) {
      expect(endpoints[provider.baseUrlEnv]).toBe(`http://payouts-sandbox:3100/${provider.id}`);
      expect(rates[workerLimitNames(provider).ratePerSecond]).toBe('200');
    }
    expect(sorted(providerNames(endpoints))).toEqual(sorted(PROVIDERS.map((p) => p.baseUrlEnv)));
    expect(providerNames(rates)).toHaveLength(PROVIDERS.length);
  });

  test('the example Secret holds every credential of every provider, and no other', () => {
    const secret = configMap('secret.example.yaml', 'payouts-provider-credentials');
    expect(sorted(Object.keys(secret))).toEqual(sorted(PROVIDERS.flatMap(credentials)));
  });
});

test("turbo.json's globalEnv names every provider's variables", () => {
  const turbo = JSON.parse(readFileSync(join(ROOT, 'turbo.json'), 'utf8')) as { globalEnv: string[] };
  for (const provider of PROVIDERS) expect(turbo.globalEnv, provider.id).toContain(`${provider.envPrefix}_*`);
});

describe('the sandbox', () => {
  test('simulates every provider, reading the same credentials and settings the engine does', () => {
    expect(SIMULATORS.map((s) => s.id).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
    for (const simulator of SIMULATORS) {
      const provider = PROVIDERS.find((p) => p.id === simulator.id);
      expect(simulator.envNames).toEqual(provider && simulated(provider));
      expect(simulator.webhooks).toBe(provider?.webhooks);
    }
  });
});
