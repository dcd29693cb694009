import express, { type Request, Router } from 'express';
import { hashApiKey } from '../api-keys.ts';
import type { Authenticator, Principal } from '../auth.ts';
import {
  type ConsoleSession,
  type ConsoleSessions,
  checkCsrf,
  checkOrigin,
  clearSessionCookie,
  sessionIdOf,
  setSessionCookie,
} from '../console-session.ts';
import { HttpProblem, JSON_BODY_LIMIT, problems } from '../problem.ts';
import { z } from '../schemas.ts';
import { parseBody, refuseUnstorableBody, requireJsonBody } from '../validation.ts';

export const consoleLoginSchema = z
  .strictObject({
    api_key: z.string().min(1).max(200).openapi({ description: 'A tenant key or an operator key.' }),
  })
  .openapi('ConsoleLogin');

export const consoleSessionSchema = z
  .object({
    object: z.literal('console_session'),
    role: z.enum(['tenant', 'operator']),
    tenant_id: z.string().nullable(),
    tenant_role: z.enum(['admin', 'maker', 'approver', 'viewer']).nullable(),
    label: z.string().nullable(),
    key_id: z.string(),
    csrf_token: z.string().openapi({ description: 'Send it as X-CSRF-Token on every write made with this session.' }),
    expires_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('ConsoleSession');

function sessionResource(principal: Principal, session: ConsoleSession) {
  return {
    object: 'console_session' as const,
    role: principal.role,
    tenant_id: principal.tenantId,
    tenant_role: principal.tenantRole,
    label: principal.label,
    key_id: principal.keyId,
    csrf_token: session.csrfToken,
    expires_at: new Date(session.expiresAt).toISOString(),
  };
}

const ended = () =>
  problems.unauthorized('No console session, or it has ended (signed out, expired, or its key was revoked).');

/**
 * `/v1/console/session`: sign in (a key for a session cookie), who am I (and the CSRF token, after
 * a reload), sign out. Mounted before API-key authentication: these routes speak only cookies.
 */
export function consoleRoutes(auth: Authenticator, sessions: ConsoleSessions): Router {
  const router = Router();
  const json = [express.json({ limit: JSON_BODY_LIMIT, strict: true }), requireJsonBody, refuseUnstorableBody];

  const current = async (req: Request) => {
    const id = sessionIdOf(req);
    const session = id ? await sessions.find(id) : null;
    if (!id || !session) throw ended();
    const principal = await auth.principalFor(session.keyHash);
    if (!principal || principal.signingSecret) {
      await sessions.end(id);
      throw ended();
    }
    return { id, session, principal };
  };

  router.post('/console/session', ...json, async (req, res) => {
    checkOrigin(req);
    const body = parseBody(consoleLoginSchema, req);
    const hash = hashApiKey(body.api_key);
    const principal = await auth.principalFor(hash);
    if (!principal) throw problems.unauthorized('The API key is not valid or has been revoked.');
    // A signing tenant's key is useless alone (docs/security.md); a session made from it would
    // act without any signature, so the console is not for such a tenant.
    if (principal.signingSecret) {
      throw new HttpProblem(
        403,
        'console_unavailable',
        'This tenant signs its requests: a console session would act without a signature, so it cannot sign in.',
      );
    }
    const { id, session } = await sessions.create(hash);
    setSessionCookie(req, res, id, sessions.ttlSeconds);
    res.status(201).set('Cache-Control', 'no-store').json(sessionResource(principal, session));
  });

  router.get('/console/session', async (req, res) => {
    const { session, principal } = await current(req);
    res.set('Cache-Control', 'no-store').json(sessionResource(principal, session));
  });

  router.delete('/console/session', async (req, res) => {
    const id = sessionIdOf(req);
    const session = id ? await sessions.find(id) : null;
    if (id && session) {
      checkCsrf(req, session);
      await sessions.end(id);
    }
    // Signing out of a session that already ended is done, not an error.
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  return router;
}
