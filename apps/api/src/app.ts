import { apiMetrics, createRegistry, type Registry } from '@payouts/observability';
import express, { type Express } from 'express';
import { authenticate, createAuthenticator } from './auth.ts';
import { QUEUE_DASHBOARD_PATH, queueDashboard, requireOperatorKey } from './bull-board.ts';
import { CONSOLE_PATH, consoleApp } from './console-app.ts';
import { ConsoleSessions } from './console-session.ts';
import type { ApiDeps } from './deps.ts';
import { DOCS_ASSETS_PATH, docsAssets, docsPage } from './docs-page.ts';
import { metricsEndpoint, observeRequests } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { PayoutGroupCommit } from './payout-group-commit.ts';
import { errorHandler, JSON_BODY_LIMIT, sendProblem } from './problem.ts';
import { RateLimiter, rateLimit } from './rate-limit.ts';
import { requestLogging } from './request-log.ts';
import { redisSeenSignatures, requestSigning, requireVerifiedSignature, verifySignedBody } from './request-signing.ts';
import { adminRoutes } from './routes/admin.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { auditRoutes } from './routes/audit.ts';
import { balanceRoutes } from './routes/balances.ts';
import { batchRoutes, isStreamedBatch } from './routes/batches.ts';
import { beneficiaryRoutes } from './routes/beneficiaries.ts';
import { consoleRoutes } from './routes/console.ts';
import { downtimeRoutes } from './routes/downtimes.ts';
import { healthRoutes } from './routes/health.ts';
import { operationRoutes } from './routes/operations.ts';
import { payoutRoutes } from './routes/payouts.ts';
import { providerHealthRoutes } from './routes/providers.ts';
import { reconciliationRoutes } from './routes/reconciliations.ts';
import { resolutionRoutes } from './routes/resolutions.ts';
import { routingRuleRoutes } from './routes/routing-rules.ts';
import { settingsRoutes } from './routes/settings.ts';
import { webhookDeliveryAdminRoutes } from './routes/webhook-deliveries.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { refuseUnstorableBody, requireJsonBody } from './validation.ts';

export interface AppObservability {
  /** The API's metrics, served at `GET /metrics`. */
  registry?: Registry;
  /** When set, `GET /metrics` wants `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** What `GET /metrics` answers, when not `registry` alone (an API process of a cluster: all of theirs). */
  readMetrics?: () => Promise<string>;
}

export function createApp(deps: ApiDeps, observability: AppObservability = {}): Express {
  const app = express();
  const registry = observability.registry ?? createRegistry('api');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogging(deps.logger));
  const metrics = apiMetrics(registry);
  app.use(observeRequests(metrics));
  app.use(healthRoutes(deps));
  app.get('/metrics', metricsEndpoint(registry, observability.metricsToken, observability.readMetrics));
  app.use(QUEUE_DASHBOARD_PATH, requireOperatorKey(authenticate(deps.db)), queueDashboard(deps.queues));

  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/docs', docsPage);
  app.use(DOCS_ASSETS_PATH, docsAssets());
  // The console's built files (apps/console); it talks to /v1 with a session cookie.
  app.use(CONSOLE_PATH, consoleApp());

  // Provider webhooks authenticate by their signature over the raw body, so they come before
  // API-key authentication and before any JSON parsing.
  app.use('/v1', webhookRoutes(deps));
  // Authentication first: a caller without a key learns nothing, not even that its JSON is bad.
  // Then the key's rate limit, then its tenant's request signature (docs/security.md).
  const sessions = new ConsoleSessions(deps.redis, deps.queues.prefix, deps.consoleSessionTtlSeconds);
  const auth = createAuthenticator(deps.db, { sessions });
  // Signing in to the console exchanges a key for a session cookie, so it comes before the key check.
  app.use('/v1', consoleRoutes(auth, sessions));
  app.use('/v1', auth.middleware);
  app.use(
    '/v1',
    rateLimit(
      deps.rateLimit
        ? new RateLimiter(deps.redis, { ...deps.rateLimit, prefix: deps.queues.prefix }, deps.logger)
        : null,
    ),
  );
  app.use(
    '/v1',
    requestSigning({
      streamed: isStreamedBatch,
      seen: redisSeenSignatures(deps.redis, deps.queues.prefix, (error) =>
        deps.logger.warn({ err: error }, 'signature replay check unavailable: request let through'),
      ),
    }),
  );
  // Batches read their own (much larger, or CSV) bodies.
  app.use('/v1', batchRoutes(deps));
  app.use(express.json({ limit: JSON_BODY_LIMIT, strict: true, verify: verifySignedBody }));
  app.use('/v1', requireVerifiedSignature);
  // Every route below reads JSON or nothing, and never text Postgres cannot store.
  app.use('/v1', requireJsonBody, refuseUnstorableBody);
  app.use('/v1', payoutRoutes(deps, new PayoutGroupCommit(deps, deps.groupCommit, metrics)));
  app.use('/v1', approvalRoutes(deps, auth));
  app.use('/v1', routingRuleRoutes(deps, auth));
  app.use('/v1', balanceRoutes(deps));
  app.use('/v1', beneficiaryRoutes(deps));
  app.use('/v1', settingsRoutes(deps, auth));
  app.use('/v1', webhookEndpointRoutes(deps));
  app.use('/v1/admin', adminRoutes(deps, auth));
  app.use('/v1/admin', operationRoutes(deps));
  app.use('/v1/admin', resolutionRoutes(deps));
  app.use('/v1/admin', downtimeRoutes(deps));
  app.use('/v1/admin', providerHealthRoutes(deps));
  app.use('/v1/admin', webhookDeliveryAdminRoutes(deps));
  app.use('/v1/admin', auditRoutes(deps));
  app.use('/v1/admin', reconciliationRoutes(deps));
  app.use((req, res) => sendProblem(res, 404, 'route_not_found', `No route for ${req.method} ${req.path}.`));
  app.use(errorHandler);
  return app;
}
