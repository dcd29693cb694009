import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { authenticate } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { buildOpenApiDocument, renderDocsPage } from './openapi.ts';
import { errorHandler, sendProblem } from './problem.ts';
import { adminRoutes } from './routes/admin.ts';
import { balanceRoutes } from './routes/balances.ts';
import { batchRoutes } from './routes/batches.ts';
import { healthRoutes } from './routes/health.ts';
import { operationRoutes } from './routes/operations.ts';
import { payoutRoutes } from './routes/payouts.ts';
import { webhookRoutes } from './routes/webhooks.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    pinoHttp({
      logger: deps.logger,
      // A caller's X-Request-Id is kept (so one id follows a payout through every log line),
      // anything else gets a fresh one.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(healthRoutes(deps));

  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(renderDocsPage(openapi));
  });

  // Provider webhooks authenticate by their signature over the raw body, so they come before
  // API-key authentication and before any JSON parsing.
  app.use('/v1', webhookRoutes(deps));
  // Authentication first: a caller without a key learns nothing, not even that its JSON is bad.
  app.use('/v1', authenticate(deps.db));
  // Batches read their own (much larger, or CSV) bodies.
  app.use('/v1', batchRoutes(deps));
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use('/v1', payoutRoutes(deps));
  app.use('/v1', balanceRoutes(deps));
  app.use('/v1/admin', adminRoutes(deps));
  app.use('/v1/admin', operationRoutes(deps));
  app.use((req, res) => sendProblem(res, 404, 'route_not_found', `No route for ${req.method} ${req.path}.`));
  app.use(errorHandler);
  return app;
}
