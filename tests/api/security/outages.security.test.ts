import { afterAll, beforeAll, describe } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('outage routes (resolve, downtimes, provider health): keys and tenant isolation', () => {
  securityChecks('outages', () => fixture);
});
