import { buildOpenApiDocument } from '@payouts/api';
import { must } from '@payouts/testing';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Every answer the tests receive, held to the OpenAPI document (the `client` in system.ts calls
 * `assertDocumented` on each): its status must be one the operation lists, its content type one
 * the status lists, and its body must match that schema. Objects are held to their documented
 * fields only (an answer that grew a field the document lacks fails too), so any drift between
 * the code and the document fails the test that saw it.
 */
type Document = ReturnType<typeof buildOpenApiDocument>;

export interface Answer {
  method: string;
  /** The path as requested, query string included or not. */
  url: string;
  status: number;
  contentType: string | null;
  body: unknown;
  /** When given, every header the document lists for the answer must be there. */
  headers?: Headers;
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
}

/** Not this API's: the queue dashboard is a third-party UI with routes of its own. */
const FOREIGN_PREFIXES = ['/admin/queues'];

export class DocumentedAnswers {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly templates: { template: string; pattern: RegExp; literal: number }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema(closed(structuredClone(doc)) as object, 'openapi');
    this.templates = Object.keys(doc.paths ?? {})
      .map((template) => ({
        template,
        // As express routes (neither strict nor case-sensitive): `/V1/Payouts/` is `/v1/payouts`.
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
        // A literal segment beats a parameter: `/v1/payouts/{id}` never takes a literal route's call.
        literal: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      }))
      .sort((a, b) => b.literal - a.literal);
  }

  /** The document's path template a request path falls under, or null. */
  templateOf(path: string): string | null {
    return this.templates.find((t) => t.pattern.test(path))?.template ?? null;
  }

  /** What is wrong with an answer, by the document: nothing when it is as documented. */
  problems(answer: Answer): string[] {
    const path = must(answer.url.split('?')[0], 'answer.url.split("?")[0]');
    if (FOREIGN_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return [];
    const template = this.templateOf(path);
    const method = answer.method.toLowerCase();
    const operation = template
      ? ((this.doc.paths?.[template] as Record<string, Operation> | undefined)?.[method] ?? null)
      : null;
    const mediaType = answer.contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
    if (!operation) {
      // No such route: what answers is the not-found problem, or one of the layers in front of
      // every route (authentication, the rate limit, body parsing), each a problem.
      if (answer.status < 400)
        return [`${answer.method} ${path} is not in the document, yet answered ${answer.status}`];
      return this.check(
        '#/components/schemas/Problem',
        mediaType === 'application/problem+json' ? [] : [`content type ${mediaType}, not application/problem+json`],
        answer.body,
      );
    }
    const where = `${answer.method.toUpperCase()} ${template} → ${answer.status}`;
    const response = operation.responses[String(answer.status)] ?? operation.responses.default;
    if (!response) {
      return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    }
    const missing = Object.keys(response.headers ?? {})
      .filter((name) => answer.headers && !answer.headers.has(name))
      .map((name) => `${where}: header ${name} missing`);
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) return missing;
    if (!mediaType || !(mediaType in content)) {
      return [
        ...missing,
        `${where}: content type ${mediaType} not documented (documented: ${Object.keys(content).join(', ')})`,
      ];
    }
    const pointer = `#/paths/${pointerToken(must(template, 'template'))}/${method}/responses/${answer.status in operation.responses ? answer.status : 'default'}/content/${pointerToken(mediaType)}/schema`;
    return [...missing, ...this.check(pointer, [], answer.body).map((p) => `${where}: ${p}`)];
  }

  private check(pointer: string, found: string[], body: unknown): string[] {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`openapi${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      this.compiled.set(pointer, validate);
    }
    if (validate(body)) return found;
    return [
      ...found,
      ...(validate.errors ?? []).map(
        (e) =>
          `${e.instancePath || 'body'} ${e.message}${e.keyword === 'additionalProperties' ? `: ${(e.params as { additionalProperty: string }).additionalProperty}` : ''}`,
      ),
    ];
  }
}

/** JSON Pointer escaping of one reference token. */
function pointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Every object schema that lists its properties and says nothing of others gets
 * `additionalProperties: false`, here only: clients keep the open schemas (new fields are not a
 * breaking change for them), while the tests learn of a field the document does not name.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) for (const item of node) closed(item);
  else if (node && typeof node === 'object') {
    const schema = node as Record<string, unknown>;
    if (schema.properties && typeof schema.properties === 'object' && !('additionalProperties' in schema)) {
      schema.additionalProperties = false;
    }
    for (const value of Object.values(schema)) closed(value);
  }
  return node;
}

let shared: DocumentedAnswers | null = null;

/** Throws, naming each difference, when an answer is not as the document says. */
export function assertDocumented(answer: Answer): void {
  shared ??= new DocumentedAnswers(buildOpenApiDocument());
  const found = shared.problems(answer);
  if (found.length > 0) {
    throw new Error(
      `The answer to ${answer.method} ${answer.url} (${answer.status}) is not as the OpenAPI document says:\n  ${found.join('\n  ')}\nbody: ${JSON.stringify(answer.body).slice(0, 1000)}`,
    );
  }
}
