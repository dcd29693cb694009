import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@payouts/core';
import { z } from './schemas.ts';

/**
 * Request and response schemas of the outbound webhook endpoints and their deliveries
 * (routes/webhook-endpoints.ts, routes/webhook-deliveries.ts; docs/webhooks.md).
 */
const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Postgres text cannot hold U+0000: refused naming the field, never a 500 at insert. */
const hasNul = (value: string) => value.includes(String.fromCharCode(0));

const eventTypes = WEBHOOK_EVENT_TYPES as [WebhookEventType, ...WebhookEventType[]];

/**
 * https only: the body carries payout details and the receiver must know it talks to us. Plain
 * http only to this machine, for local development and tests, where nothing crosses a network.
 */
const endpointUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    if (hasNul(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain NUL (U+0000) characters' });
      return;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL (https://…)' });
      return;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
      ctx.addIssue({ code: 'custom', message: 'must be https (http only for localhost or 127.0.0.1)' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
  })
  .openapi({ example: 'https://example.com/hooks/payouts' });

const enabledEvents = z
  .array(z.enum(eventTypes, { error: `must be one of ${eventTypes.join(', ')}` }))
  .min(1, 'must list at least one event type (leave it out for every type)')
  .max(eventTypes.length)
  .transform((list) => [...new Set(list)])
  .openapi({ description: 'Event types sent to this endpoint; absent or null: every type.' });

const description = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((v) => !hasNul(v), 'must not contain NUL (U+0000) characters');

export const createWebhookEndpointSchema = z
  .strictObject({ url: endpointUrl, description: description.optional(), enabled_events: enabledEvents.optional() })
  .openapi('CreateWebhookEndpoint');

export const updateWebhookEndpointSchema = z
  .strictObject({
    url: endpointUrl.optional(),
    description: description.nullable().optional(),
    enabled_events: enabledEvents.nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', path: ['body'] })
  .openapi('UpdateWebhookEndpoint');

export const rotateSecretSchema = z
  .strictObject({
    expires_in_seconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(0)
      .max(7 * 86400)
      .default(DEFAULT_OVERLAP_SECONDS)
      .openapi({ description: 'How long the previous secret keeps signing too (0: it stops now). Default 24 h.' }),
  })
  .openapi('RotateWebhookSecret');

export const webhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.enum(eventTypes)).nullable(),
    disabled: z.boolean(),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'While a rotation overlaps: until when the previous secret signs too.' }),
    secret: z.string().optional().openapi({ description: 'whsec_…: only in the answers to create and rotate-secret.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint');

export const webhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: 'whd_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('webhook_delivery'),
    tenant_id: z.string().optional().openapi({ description: 'Operator listings only.' }),
    endpoint_id: z.string(),
    event_id: z.string().openapi({ description: 'The webhook-id header (msg_…).' }),
    event_type: z.enum(eventTypes),
    subject_id: z.string(),
    subject_version: z.number().int(),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).openapi({
      description:
        '`cancelled`: the endpoint was disabled or deleted while the delivery was pending (`last_error` says so); an operator can replay it once the endpoint is enabled again.',
    }),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable().openapi({
      description:
        'When it is tried next while `pending`; null while it waits for an earlier version of its subject to this endpoint, and once it is done.',
    }),
    last_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookDelivery');

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().trim().min(1).max(200).optional(),
};
const deliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'cancelled']);
export const listDeliveriesQuery = z.strictObject({ status: deliveryStatus.optional(), ...pageQuery });
export const adminListDeliveriesQuery = z.strictObject({
  status: deliveryStatus.optional(),
  tenant_id: z.string().trim().min(1).max(64).optional(),
  endpoint_id: z.string().trim().min(1).max(64).optional(),
  ...pageQuery,
});
export const listEndpointsQuery = z.strictObject(pageQuery);
