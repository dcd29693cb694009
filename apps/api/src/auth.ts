import { apiKeys, type Database } from '@payouts/db';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hashApiKey } from './api-keys.ts';
import { problems } from './problem.ts';

export interface Principal {
  keyId: string;
  role: 'tenant' | 'operator';
  tenantId: string | null;
}

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

interface CacheEntry {
  principal: Principal | null;
  expires: number;
}

/**
 * Bearer API keys, looked up by their SHA-256 (the hash is the index, so the lookup is an equality
 * on a digest: no timing signal about the key itself). A short cache keeps the hot path off the
 * database; a revoked key stops working within `cacheMs`.
 */
export function authenticate(db: Database, options: { cacheMs?: number } = {}): RequestHandler {
  const cacheMs = options.cacheMs ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  const lastTouched = new Map<string, number>();

  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.header('authorization');
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match?.[1]) throw problems.unauthorized();
      const hash = hashApiKey(match[1]);
      const now = Date.now();
      let entry = cache.get(hash);
      if (!entry || entry.expires < now) {
        const [row] = await db
          .select({ id: apiKeys.id, role: apiKeys.role, tenantId: apiKeys.tenantId })
          .from(apiKeys)
          .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
        entry = {
          principal: row ? { keyId: row.id, role: row.role, tenantId: row.tenantId } : null,
          expires: now + cacheMs,
        };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, entry);
      }
      if (!entry.principal) throw problems.unauthorized('The API key is not valid or has been revoked.');
      req.principal = entry.principal;
      // last_used_at at most once a minute per key: useful to operators, not worth a write per request.
      if ((lastTouched.get(entry.principal.keyId) ?? 0) < now - 60_000) {
        lastTouched.set(entry.principal.keyId, now);
        void db
          .update(apiKeys)
          .set({ lastUsedAt: sql`now()` })
          .where(eq(apiKeys.id, entry.principal.keyId))
          .catch(() => {});
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function requireTenant(req: Request): { tenantId: string; keyId: string } {
  const p = req.principal;
  if (!p) throw problems.unauthorized();
  if (p.role !== 'tenant' || !p.tenantId) throw problems.forbidden('This route needs a tenant API key.');
  return { tenantId: p.tenantId, keyId: p.keyId };
}

export function requireOperator(req: Request): Principal {
  const p = req.principal;
  if (!p) throw problems.unauthorized();
  if (p.role !== 'operator') throw problems.forbidden('This route needs an operator API key.');
  return p;
}
