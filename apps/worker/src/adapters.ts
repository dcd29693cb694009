import { must } from '@payouts/core';
import {
  type Context,
  type Logger,
  SpanKind,
  SpanStatusCode,
  type WorkerMetrics,
  withSpan,
} from '@payouts/observability';
import { createAdapters, type ProviderAdapter, ProviderError } from '@payouts/providers';
import { type CallPriority, callWithinBudget, type ProviderBudget } from '@payouts/queue';
import type { WorkerEnv } from './env.ts';

export function adaptersFromEnv(env: WorkerEnv) {
  return createAdapters(env);
}

type Operation =
  | 'submit'
  | 'lookup_by_id'
  | 'lookup_by_reference'
  | 'cancel'
  | 'get_balance'
  | 'list'
  | 'register_contact'
  | 'register_account'
  | 'update_contact';

/**
 * The adapter as one job sees it: every call to the provider first takes a token from the
 * provider's budget (shared by every worker process, served by the job's priority), then is timed
 * and counted (`payouts_provider_requests_total`, `payouts_provider_request_duration_seconds`),
 * logged with the job's request id, and — when tracing is on — a client span, child of the job's
 * trace. A 429 empties the budget for its `Retry-After`, for every process. Adapters stay pure
 * translators; this is the engine watching them.
 */
export function instrumentAdapter(
  adapter: ProviderAdapter,
  o: {
    metrics?: WorkerMetrics;
    logger: Logger;
    parent?: Context;
    payoutId?: string;
    budget?: ProviderBudget;
    priority?: CallPriority;
  },
): ProviderAdapter {
  const call = <T>(operation: Operation, fn: () => Promise<T>): Promise<T> =>
    o.budget
      ? callWithinBudget(o.budget, o.priority ?? 'poll', () => measured(operation, fn))
      : measured(operation, fn);
  const measured = <T>(operation: Operation, fn: () => Promise<T>): Promise<T> =>
    withSpan(
      `provider ${adapter.id} ${operation}`,
      {
        parent: o.parent,
        kind: SpanKind.CLIENT,
        attributes: {
          'payouts.provider': adapter.id,
          'payouts.operation': operation,
          ...(o.payoutId ? { 'payouts.payout_id': o.payoutId } : {}),
        },
      },
      async (span) => {
        const started = performance.now();
        let outcome = 'ok';
        try {
          return await fn();
        } catch (error) {
          outcome = error instanceof ProviderError ? error.kind : 'error';
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          throw error;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          o.metrics?.providerDuration.observe({ provider: adapter.id, operation }, seconds);
          o.metrics?.providerRequests.inc({ provider: adapter.id, operation, outcome });
          span.setAttribute('payouts.outcome', outcome);
          o.logger.debug(
            { payoutId: o.payoutId, operation, outcome, durationMs: Math.round(seconds * 1000) },
            'provider call',
          );
        }
      },
    );
  return {
    id: adapter.id,
    currencies: adapter.currencies,
    capabilities: adapter.capabilities,
    methods: adapter.methods,
    feeMode: adapter.feeMode,
    feeReserve: (payout) => adapter.feeReserve(payout),
    validate: (payout) => adapter.validate(payout),
    verifyWebhook: (rawBody, headers) => adapter.verifyWebhook(rawBody, headers),
    submit: (payout) => call('submit', () => adapter.submit(payout)),
    lookupById: (id) => call('lookup_by_id', () => adapter.lookupById(id)),
    lookupByReference: (payout) => call('lookup_by_reference', () => adapter.lookupByReference(payout)),
    cancel: (id) => call('cancel', () => adapter.cancel(id)),
    getBalance: () => call('get_balance', () => adapter.getBalance()),
    list: (query) => call('list', () => adapter.list(query)),
    ...(adapter.registrar
      ? {
          registrar: {
            contact: (input) => call('register_contact', () => must(adapter.registrar, 'the registrar').contact(input)),
            account: (input) => call('register_account', () => must(adapter.registrar, 'the registrar').account(input)),
            updateContact: (input) =>
              call('update_contact', () => must(adapter.registrar, 'the registrar').updateContact(input)),
          },
        }
      : {}),
  };
}
