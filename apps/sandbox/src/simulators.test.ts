import { afterEach, describe, expect, it } from 'vitest';
import { requestJson } from '../test/common/test-support.ts';
import { type RunningSandbox, startSandbox } from './server.ts';
import { SIMULATORS } from './simulators.ts';

/* The sandbox is built from its list of simulators: each is mounted, configured and reset from it. */

let sandbox: RunningSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('the list of simulators', () => {
  it('mounts each at /<provider id>, under its key in the state', async () => {
    sandbox = await startSandbox({ port: 0, host: '127.0.0.1' });
    const health = await requestJson<{ providers: string[] }>(`${sandbox.url}/healthz`);
    expect(health.body.providers).toEqual(SIMULATORS.map((s) => s.id));
    for (const simulator of SIMULATORS) {
      expect(sandbox.state[simulator.key].id).toBe(simulator.id);
      const admin = await requestJson<unknown[]>(`${sandbox.url}/_admin/${simulator.id}/payouts`);
      expect(admin.status, simulator.id).toBe(200);
    }
  });

  it('gives every simulator the shared starting configuration, under its own', async () => {
    sandbox = await startSandbox({
      port: 0,
      host: '127.0.0.1',
      config: { progressDelayMs: 40, latencyMs: 3 },
      krayon: { config: { latencyMs: 9 } },
    });
    for (const simulator of sandbox.state.providers.values()) {
      expect(simulator.runtime.config.progressDelayMs, simulator.id).toBe(40);
      expect(simulator.runtime.config.latencyMs, simulator.id).toBe(simulator.id === 'krayon' ? 9 : 3);
    }
    // A reset returns to that starting configuration, not to the defaults.
    sandbox.state.krayon.runtime.config.latencyMs = 500;
    sandbox.state.reset();
    expect(sandbox.state.krayon.runtime.config.latencyMs).toBe(9);
  });
});
