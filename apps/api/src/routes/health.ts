import { sql } from 'drizzle-orm';
import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { sendProblem } from '../problem.ts';

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref()),
  ]);
}

export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  /** Liveness: the process answers. Never touches a dependency, so a Postgres outage does not restart us. */
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  /** Readiness: Postgres and Redis both answer; a load balancer stops sending traffic otherwise. */
  router.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([
      within(2000, deps.db.execute(sql`select 1`)),
      within(2000, deps.redis.ping()),
    ]);
    const [pg, redis] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : `down: ${(c.reason as Error).message}`));
    if (pg === 'ok' && redis === 'ok') {
      res.json({ status: 'ready', postgres: pg, redis });
      return;
    }
    sendProblem(res, 503, 'not_ready', `postgres: ${pg}; redis: ${redis}`);
  });
  return router;
}
