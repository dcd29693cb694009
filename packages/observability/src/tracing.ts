import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { InMemorySpanExporter, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing, off by default. Spans are manual (no auto-instrumentation): one around the
 * API's handling of a request, and one around each provider call in the worker. Between the two
 * the trace context crosses the queues as a W3C `traceparent` string in the job's data, so a
 * provider call is a child of the API request that accepted its payout.
 */

export type { Context, InMemorySpanExporter, Span };
export { SpanKind, SpanStatusCode };

/** For tests: an exporter that keeps finished spans in memory. */
export async function createMemorySpanExporter(): Promise<InMemorySpanExporter> {
  const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
  return new InMemorySpanExporter();
}

export interface TracingOptions {
  enabled: boolean;
  serviceName: string;
  /** OTLP/HTTP traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. */
  endpoint?: string;
  /** Instead of OTLP (tests): spans go here, each as soon as it ends. */
  exporter?: SpanExporter;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Registers the process's tracer provider (with the W3C propagator and an AsyncLocalStorage
 * context manager). Returns null when tracing is off: the API then hands out no-op spans.
 * The SDK is loaded only when tracing is on: it is some 25 MB of every process's memory.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | null> {
  if (!options.enabled) return null;
  const [
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BatchSpanProcessor, SimpleSpanProcessor },
    { NodeTracerProvider },
    { ATTR_SERVICE_NAME },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const exporter = options.exporter ?? new OTLPTraceExporter(options.endpoint ? { url: options.endpoint } : {});
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  enabled = true;
  return {
    async shutdown() {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

export function tracer() {
  return trace.getTracer('payouts');
}

/** The active span's context as a W3C `traceparent`, to put in a job's data; undefined when not tracing. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a job's `traceparent` names (the root context when it has none). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent || !enabled) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * Runs `fn` inside a new span (a child of `parent`, or of the active span), ending it when `fn`
 * settles and marking it as an error when `fn` throws.
 */
export async function withSpan<T>(
  name: string,
  options: { parent?: Context; kind?: SpanKind; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Starts a span without making it active: for spans that end on an event (an HTTP response's finish). */
export function startSpan(
  name: string,
  options: { parent?: Context; kind?: SpanKind; attributes?: Record<string, string | number | boolean> } = {},
): Span {
  return tracer().startSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    options.parent ?? context.active(),
  );
}

/** Runs `fn` with `span` as the active span, so what `fn` starts (synchronously or not) descends from it. */
export function runInSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}
