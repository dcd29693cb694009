import { AsyncResource } from 'node:async_hooks';
import { timingSafeEqual } from 'node:crypto';
import {
  type ApiMetrics,
  currentTraceparent,
  type Registry,
  runInSpan,
  SpanKind,
  SpanStatusCode,
  startSpan,
  statusClass,
  tracingEnabled,
} from '@payouts/observability';
import { jobContext } from '@payouts/queue';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendProblem } from './problem.ts';

const ROUTE = Symbol('payouts.route');
const ROUTE_BASE = Symbol('payouts.routeBase');
type RouteTracked = Request & { [ROUTE]?: { path?: unknown }; [ROUTE_BASE]?: string };
/** Request prototypes whose `route` accessor is ours (express gives each app its own). */
const tracking = new WeakSet<object>();

/**
 * The route pattern a request matched (`/v1/payouts/:id`), never its raw URL: a label per payout id
 * would be a series per payout. Express sets `req.route` when a route matches; the base URL is read
 * at that moment, because by the time an error reaches the app's handler it has been unwound. The
 * accessor that catches the assignment is defined once, on the app's request prototype (which a
 * mounted app's inherits from): one defined on each request cost ~20 µs a request.
 */
function trackRoutes(req: Request): void {
  const prototype = Object.getPrototypeOf(req) as object;
  if (tracking.has(prototype)) return;
  tracking.add(prototype);
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: RouteTracked) {
      return this[ROUTE];
    },
    set(this: RouteTracked, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      this[ROUTE_BASE] = this.baseUrl;
    },
  });
}

function routeOf(req: RouteTracked): string {
  const route = req[ROUTE];
  return route && typeof route.path === 'string' ? `${req[ROUTE_BASE] ?? ''}${route.path}` : 'unmatched';
}

/**
 * Per request: its duration in `payouts_http_request_duration_seconds`, and the context every job
 * it enqueues carries on — its request id and, when tracing is on, a server span's traceparent.
 */
export function observeRequests(metrics: ApiMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    trackRoutes(req);
    const span = tracingEnabled()
      ? startSpan(`${req.method} ${req.path}`, {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': req.method },
        })
      : null;
    res.on('finish', () => {
      const route = routeOf(req);
      metrics.httpDuration.observe(
        { method: req.method, route, status_class: statusClass(res.statusCode) },
        (performance.now() - started) / 1000,
      );
      if (span) {
        span.updateName(`${req.method} ${route}`);
        span.setAttributes({
          'http.route': route,
          'http.response.status_code': res.statusCode,
          'payouts.request_id': String(req.id),
        });
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
    const run = () =>
      jobContext.run({ requestId: String(req.id), traceparent: currentTraceparent() }, () => {
        // Body parsers continue the chain from the request stream's 'end' event, which Node runs in
        // the context the socket was read in, not this one: bind the stream's events to this context
        // so handlers after a body parser still see the request's id and span. One resource and a
        // plain wrapper: AsyncResource.bind would also define two deprecated accessors per request.
        const scope = new AsyncResource('payouts.request');
        const emit = req.emit;
        req.emit = function (this: Request, ...args: Parameters<typeof emit>) {
          return scope.runInAsyncScope(emit, this, ...args);
        } as typeof req.emit;
        next();
      });
    if (span) runInSpan(span, run);
    else run();
  };
}

/**
 * `GET /metrics` in Prometheus text format. Open like `/healthz` unless METRICS_TOKEN is set, then
 * it wants `Authorization: Bearer <token>`. `read` gives the text: this registry's, or in an API
 * process of a cluster all of theirs (api-processes.ts).
 */
export function metricsEndpoint(
  registry: Registry,
  token?: string,
  read: () => Promise<string> = () => registry.metrics(),
): RequestHandler {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return async (req: Request, res: Response) => {
    if (expected) {
      const given = Buffer.from(req.header('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        sendProblem(res, 401, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
        return;
      }
    }
    res.type(registry.contentType).send(await read());
  };
}
