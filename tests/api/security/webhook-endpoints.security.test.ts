import { afterAll, beforeAll, describe } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('webhook endpoint routes: keys and tenant isolation', () => {
  securityChecks('webhook-endpoints', () => fixture);
});
