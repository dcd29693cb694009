import type { TenantKeyRole } from '@payouts/core';
import { apiKeys, type Database, tenants } from '@payouts/db';
import { eq, sql } from 'drizzle-orm';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hashApiKey, sameHash } from './api-keys.ts';
import { problems } from './problem.ts';
import type { PendingSignature } from './request-signing.ts';
import { roleMayUse, TENANT_ROUTE_ROLES, type TenantRoute } from './roles.ts';

export interface Principal {
  keyId: string;
  role: 'tenant' | 'operator';
  tenantId: string | null;
  /** What a tenant key may do (apps/api/src/roles.ts); null for an operator key. */
  tenantRole: TenantKeyRole | null;
  /** Who holds the key, as the operator labelled it when issuing it. */
  label: string | null;
  /** The tenant's request-signing secret, when it signs its requests (cached with the key). */
  signingSecret: string | null;
  /** The tenant's duplicate-reference guard (cached with the key; on for operator keys, which create nothing). */
  duplicateReferenceGuard: boolean;
  /** The purposes the tenant registered with its providers (cached with the key). */
  payoutPurposes: readonly string[];
}

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
      /** Set for a tenant that signs its requests, until its signature is verified. */
      signature?: PendingSignature;
    }
  }
}

interface CacheEntry {
  principal: Principal | null;
  expires: number;
}

/** Compared against when no row matched, so an unknown key does the same work as a known one. */
const NO_MATCH = hashApiKey('no key matches this digest');
const INVALID_KEY = 'The API key is not valid or has been revoked.';

export interface Authenticator {
  middleware: RequestHandler;
  /** Drops cached lookups of one key (revoked) or of a tenant's keys (its signing secret changed). */
  forget(match: { keyId?: string; tenantId?: string }): void;
}

/**
 * Bearer API keys, looked up by their SHA-256 (the hash is the index, so the lookup is an equality
 * on a digest: no timing signal about the key itself), then compared again in constant time, and
 * only then judged revoked or not: an unknown key and a revoked key take the same path and get the
 * same 401. A short cache keeps the hot path off the database; a revoked key stops working at once
 * on the instance that revoked it and within `cacheMs` on every other one.
 */
export function createAuthenticator(db: Database, options: { cacheMs?: number } = {}): Authenticator {
  const cacheMs = options.cacheMs ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  const lastTouched = new Map<string, number>();

  const middleware = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.header('authorization');
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match?.[1]) throw problems.unauthorized();
      const hash = hashApiKey(match[1]);
      const now = Date.now();
      let entry = cache.get(hash);
      if (!entry || entry.expires < now) {
        const [row] = await db
          .select({
            id: apiKeys.id,
            hash: apiKeys.hash,
            role: apiKeys.role,
            tenantRole: apiKeys.tenantRole,
            label: apiKeys.label,
            tenantId: apiKeys.tenantId,
            revokedAt: apiKeys.revokedAt,
            signingSecret: tenants.requestSigningSecret,
            duplicateReferenceGuard: tenants.duplicateReferenceGuard,
            payoutPurposes: tenants.payoutPurposes,
          })
          .from(apiKeys)
          .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
          .where(eq(apiKeys.hash, hash));
        const matches = sameHash(row?.hash ?? NO_MATCH, hash) && row !== undefined;
        entry = {
          principal:
            matches && row.revokedAt === null
              ? {
                  keyId: row.id,
                  role: row.role,
                  tenantId: row.tenantId,
                  // A tenant key stored without a role (seeded by a script) could always do everything.
                  tenantRole: row.role === 'tenant' ? (row.tenantRole ?? 'admin') : null,
                  label: row.label,
                  signingSecret: row.signingSecret ?? null,
                  duplicateReferenceGuard: row.duplicateReferenceGuard ?? true,
                  payoutPurposes: row.payoutPurposes ?? [],
                }
              : null,
          expires: now + cacheMs,
        };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, entry);
      }
      if (!entry.principal) throw problems.unauthorized(INVALID_KEY);
      req.principal = entry.principal;
      // last_used_at at most once a minute per key: useful to operators, not worth a write per request.
      if ((lastTouched.get(entry.principal.keyId) ?? 0) < now - 60_000) {
        if (lastTouched.size > 10_000) lastTouched.clear();
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

  return {
    middleware,
    forget({ keyId, tenantId }) {
      for (const [hash, entry] of cache) {
        const p = entry.principal;
        if (p && ((keyId && p.keyId === keyId) || (tenantId && p.tenantId === tenantId))) cache.delete(hash);
      }
    },
  };
}

/** The middleware alone, for callers that never revoke through this process. */
export function authenticate(db: Database, options: { cacheMs?: number } = {}): RequestHandler {
  return createAuthenticator(db, options).middleware;
}

export interface TenantCaller {
  tenantId: string;
  keyId: string;
  /** The key's label, kept beside its id in the history so a decision names a person. */
  label: string | null;
  /** The tenant's duplicate-reference guard (docs/api.md), cached with the key. */
  duplicateReferenceGuard: boolean;
  /** The purposes the tenant registered with its providers (docs/api.md, "Settings"), cached with the key. */
  payoutPurposes: readonly string[];
}

/** A tenant key whose role may use `route` (the table in roles.ts); anything else is a 403. */
export function requireTenant(req: Request, route: TenantRoute): TenantCaller {
  const p = req.principal;
  if (!p) throw problems.unauthorized();
  if (p.role !== 'tenant' || !p.tenantId || !p.tenantRole) {
    throw problems.forbidden('This route needs a tenant API key.');
  }
  if (!roleMayUse(p.tenantRole, route)) {
    throw problems.roleForbidden(
      `A ${p.tenantRole} key may not use ${route}; it needs one of: ${TENANT_ROUTE_ROLES[route].join(', ')}.`,
    );
  }
  return {
    tenantId: p.tenantId,
    keyId: p.keyId,
    label: p.label,
    duplicateReferenceGuard: p.duplicateReferenceGuard,
    payoutPurposes: p.payoutPurposes,
  };
}

export function requireOperator(req: Request): Principal {
  const p = req.principal;
  if (!p) throw problems.unauthorized();
  if (p.role !== 'operator') throw problems.forbidden('This route needs an operator API key.');
  return p;
}
