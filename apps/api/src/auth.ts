import type { TenantKeyRole } from '@payouts/core';
import { type ApprovalPolicy, apiKeys, type Database, type RoutingRules, tenants } from '@payouts/db';
import { eq, sql } from 'drizzle-orm';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hashApiKey, sameHash } from './api-keys.ts';
import { type ConsoleSessions, checkCsrf, sessionIdOf } from './console-session.ts';
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
  /** The tenant's approval policy (cached with the key, like the guard); null: nothing needs approval. */
  approvalPolicy: ApprovalPolicy | null;
  /** The tenant's routing rules (cached with the key, like the policy); null: each currency's provider. */
  routingRules: RoutingRules | null;
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
const SESSION_ENDED = 'The console session has ended (signed out, expired, or its key was revoked): sign in again.';

export interface Authenticator {
  middleware: RequestHandler;
  /** Who a key (by its SHA-256) is, through the same cache; null for an unknown or revoked key. */
  principalFor(hash: string): Promise<Principal | null>;
  /** Drops cached lookups of one key (revoked) or of a tenant's keys (its signing secret changed). */
  forget(match: { keyId?: string; tenantId?: string }): void;
}

/**
 * Bearer API keys, looked up by their SHA-256 (the hash is the index, so the lookup is an equality
 * on a digest: no timing signal about the key itself), then compared again in constant time, and
 * only then judged revoked or not: an unknown key and a revoked key take the same path and get the
 * same 401. A short cache keeps the hot path off the database; a revoked key stops working at once
 * on the instance that revoked it and within `cacheMs` (10 s) of its revocation on every other
 * one: an entry lives `cacheMs` from the moment its row was read, never longer, and a lookup that
 * read the row before a revocation on this instance is not cached. The tenant's settings cached
 * with the key (signing secret, guard, policy, routing rules, purposes) follow the same bound.
 */
export function createAuthenticator(
  db: Database,
  options: { cacheMs?: number; sessions?: ConsoleSessions; now?: () => number } = {},
): Authenticator {
  const cacheMs = options.cacheMs ?? 10_000;
  const clock = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const lastTouched = new Map<string, number>();
  // One lookup at a time per key: the requests that find its entry expired together wait for it.
  const lookups = new Map<string, Promise<CacheEntry>>();
  // Bumped by `forget`: a lookup that started before it may have read the key before its
  // revocation, so what it found is answered once and not cached.
  let generation = 0;

  const lookUp = async (hash: string): Promise<CacheEntry> => {
    const started = generation;
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
        approvalPolicy: tenants.approvalPolicy,
        routingRules: tenants.routingRules,
        payoutPurposes: tenants.payoutPurposes,
      })
      .from(apiKeys)
      .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
      .where(eq(apiKeys.hash, hash));
    const matches = sameHash(row?.hash ?? NO_MATCH, hash) && row !== undefined;
    const entry: CacheEntry = {
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
              approvalPolicy: row.approvalPolicy ?? null,
              routingRules: row.routingRules ?? null,
              payoutPurposes: row.payoutPurposes ?? [],
            }
          : null,
      // From when the row was read, not when it was asked for: the bound holds from the read.
      expires: clock() + cacheMs,
    };
    if (started === generation) {
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, entry);
    }
    return entry;
  };

  const principalFor = async (hash: string): Promise<Principal | null> => {
    const entry = cache.get(hash);
    if (entry && entry.expires > clock()) return entry.principal;
    let lookup = lookups.get(hash);
    if (!lookup) {
      lookup = lookUp(hash).finally(() => lookups.delete(hash));
      lookups.set(hash, lookup);
    }
    return (await lookup).principal;
  };

  /**
   * A console session stands for its key (console-session.ts): the same principal, looked up the
   * same way, so a revoked key ends the session here; writes need the session's CSRF token.
   * Only when no Authorization header is sent: an API client's key always wins over a cookie.
   */
  const principalOfSession = async (req: Request): Promise<Principal> => {
    const sessions = options.sessions;
    const id = sessionIdOf(req);
    if (!sessions || !id) throw problems.unauthorized();
    const session = await sessions.find(id);
    if (!session) throw problems.unauthorized(SESSION_ENDED);
    const principal = await principalFor(session.keyHash);
    // Its key revoked, or its tenant now signs its requests (a session cannot sign): it ends.
    if (!principal || principal.signingSecret) {
      await sessions.end(id);
      throw problems.unauthorized(SESSION_ENDED);
    }
    checkCsrf(req, session);
    return principal;
  };

  const middleware = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.header('authorization');
      let principal: Principal | null;
      if (header === undefined) {
        principal = await principalOfSession(req);
      } else {
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        if (!match?.[1]) throw problems.unauthorized();
        principal = await principalFor(hashApiKey(match[1]));
      }
      if (!principal) throw problems.unauthorized(INVALID_KEY);
      req.principal = principal;
      // last_used_at at most once a minute per key: useful to operators, not worth a write per request.
      const now = Date.now();
      if ((lastTouched.get(principal.keyId) ?? 0) < now - 60_000) {
        if (lastTouched.size > 10_000) lastTouched.clear();
        lastTouched.set(principal.keyId, now);
        void db
          .update(apiKeys)
          .set({ lastUsedAt: sql`now()` })
          .where(eq(apiKeys.id, principal.keyId))
          .catch(() => {});
      }
      next();
    } catch (error) {
      next(error);
    }
  };

  return {
    middleware,
    principalFor,
    forget({ keyId, tenantId }) {
      generation++;
      // A lookup under way may have read the row before the change: the next request looks again.
      lookups.clear();
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
  /** The tenant's approval policy (docs/api.md, "Approvals"), cached with the key. */
  approvalPolicy: ApprovalPolicy | null;
  /** The tenant's routing rules (docs/api.md, "Routing rules"), cached with the key. */
  routingRules: RoutingRules | null;
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
    approvalPolicy: p.approvalPolicy,
    routingRules: p.routingRules,
    payoutPurposes: p.payoutPurposes,
  };
}

export function requireOperator(req: Request): Principal {
  const p = req.principal;
  if (!p) throw problems.unauthorized();
  if (p.role !== 'operator') throw problems.forbidden('This route needs an operator API key.');
  return p;
}
