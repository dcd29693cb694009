import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { PROVIDER_IDS } from '@payouts/core';
import type { Queues } from '@payouts/queue';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem, sendProblem } from './problem.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Shown under each provider queue: what its job priorities mean, and where its budget is seen
 * (the tokens themselves are in Redis, not in a queue, so bull-board cannot show them).
 */
const PROVIDER_QUEUE_LINE =
  "Every call to the provider takes a token of its budget (<PROVIDER>_RATE_PER_SECOND, shared by all workers). Priorities: none = single submissions and webhook confirmations, 10 = batch items, 30 = polls; the budget serves calls in the order single submit, batch submit, confirm, poll, reversal watch. Tokens, 429 pauses and work waiting by priority: payouts_provider_budget_* and payouts_provider_work_waiting on the workers' /metrics.";

/**
 * The BullMQ dashboard (bull-board) over every queue: the reconciler's and each provider's.
 * Read-only: replays, cancels and fundings go through the admin API, where they are checked
 * against the payout's state and recorded as operator actions; moving jobs by hand here would
 * skip both (and the sweeper re-drives anything that is really stuck).
 */
export function queueDashboard(queues: Queues): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [
      new BullMQAdapter(queues.reconciler, { readOnlyMode: true }),
      ...PROVIDER_IDS.map(
        (p) => new BullMQAdapter(queues.provider(p), { readOnlyMode: true, description: PROVIDER_QUEUE_LINE }),
      ),
    ],
    // Two copies of @bull-board/api are installed (the express adapter pins its own); the shapes agree.
    // biome-ignore lint/suspicious/noExplicitAny: see above
    serverAdapter: serverAdapter as any,
    options: { uiConfig: { boardTitle: 'Payout queues' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

/**
 * The operator key, from a browser too: browsers cannot send a Bearer header to a page, so HTTP
 * Basic with the operator key as the password (any user name) is accepted beside
 * `Authorization: Bearer <key>`. The key itself is checked by the API's own authentication
 * (`authenticate`), so a revoked key or a tenant key fares exactly as on the admin API.
 */
export function requireOperatorKey(authenticate: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const challenge = () => res.setHeader('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"');
    const header = req.header('authorization') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      req.headers.authorization = password ? `Bearer ${password}` : '';
    }
    if (!/^Bearer\s+\S+$/i.test(req.header('authorization') ?? '')) {
      challenge();
      sendProblem(
        res,
        401,
        'unauthorized',
        'The queue dashboard needs the operator key (HTTP Basic password or Bearer).',
      );
      return;
    }
    authenticate(req, res, (error?: unknown) => {
      if (error instanceof HttpProblem && error.status === 401) {
        challenge();
        sendProblem(res, 401, 'unauthorized', 'The API key is not valid or has been revoked.');
        return;
      }
      if (error) {
        next(error);
        return;
      }
      if (req.principal?.role !== 'operator') {
        sendProblem(res, 403, 'forbidden', 'The queue dashboard needs an operator API key.');
        return;
      }
      next();
    });
  };
}
