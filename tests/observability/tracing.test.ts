import {
  createMemorySpanExporter,
  type InMemorySpanExporter,
  SpanKind,
  startTracing,
  type Tracing,
  tracingEnabled,
} from '@payouts/observability';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * One trace from the API request that accepts a payout, through the reconciler's queue and the
 * provider's queue, to the worker's call to the provider: the trace context travels in the jobs'
 * data as a W3C traceparent.
 */
let system: TestSystem;
let tracing: Tracing | null;
let exporter: InMemorySpanExporter;

beforeAll(async () => {
  expect(tracingEnabled()).toBe(false); // off by default
  exporter = await createMemorySpanExporter();
  tracing = await startTracing({ enabled: true, serviceName: 'payouts-test', exporter });
  system = await startTestSystem();
});
afterAll(async () => {
  await system?.stop();
  await tracing?.shutdown();
});

describe('tracing', () => {
  test('is off unless enabled', async () => {
    expect(await startTracing({ enabled: false, serviceName: 'x' })).toBeNull();
  });

  test('the provider call is a span of the API request that accepted the payout', async () => {
    const tenant = await createFundedTenant(system, 'traced');
    exporter.reset();
    const res = await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 31_000 }), { 'idempotency-key': 'tr-1' });
    expect(res.status).toBe(202);
    const id = res.body.id as string;

    const submit = await waitFor(
      () =>
        exporter
          .getFinishedSpans()
          .find((s) => s.name === 'provider razorpayx submit' && s.attributes['payouts.payout_id'] === id),
      { message: 'the provider submit span' },
    );
    const request = exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/payouts');
    expect(request).toBeDefined();
    const server = must(request, 'the POST /v1/payouts span');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes['http.response.status_code']).toBe(202);
    expect(submit.kind).toBe(SpanKind.CLIENT);
    expect(submit.attributes['payouts.outcome']).toBe('ok');
    expect(submit.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(submit.parentSpanContext?.spanId).toBe(server.spanContext().spanId);

    // The polls that follow belong to the same trace (the poll job inherits the submit job's context).
    const poll = await waitFor(
      () =>
        exporter
          .getFinishedSpans()
          .find((s) => s.name === 'provider razorpayx lookup_by_id' && s.attributes['payouts.payout_id'] === id),
      { message: 'a poll span' },
    );
    expect(poll.spanContext().traceId).toBe(server.spanContext().traceId);
  });

  test('another request is another trace', async () => {
    const tenant = await createFundedTenant(system, 'traced-2');
    const a = await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 32_000 }), { 'idempotency-key': 'tr-a' });
    const b = await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 33_000 }), { 'idempotency-key': 'tr-b' });
    const traceOf = (id: string) =>
      waitFor(
        () =>
          exporter
            .getFinishedSpans()
            .find((s) => s.name === 'provider razorpayx submit' && s.attributes['payouts.payout_id'] === id)
            ?.spanContext().traceId,
        { message: `the submit span of ${id}` },
      );
    expect(await traceOf(a.body.id)).not.toBe(await traceOf(b.body.id));
  });
});
