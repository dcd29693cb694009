import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@payouts/observability';
import type { z } from 'zod';

export type ReadResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'missing' | 'corrupt'; readonly detail: string };

/**
 * One simulator's state on disk, as JSON. Reads once at start; writes the whole snapshot, at most
 * every `minIntervalMs` after a change and on `flush`, to a temporary file renamed over the old one,
 * so a crash mid-write leaves the previous state whole rather than half a file.
 */
export class StateFile {
  private snapshot: (() => unknown) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Grows with the cost of a snapshot, so a large state is not re-serialised twice a second. */
  private intervalMs: number;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly minIntervalMs = 500,
  ) {
    this.intervalMs = minIntervalMs;
  }

  read<T>(schema: z.ZodType<T>): ReadResult<T> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, reason: code === 'ENOENT' ? 'missing' : 'corrupt', detail: String(error) };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: 'corrupt', detail: `not JSON: ${String(error)}` };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return { ok: false, reason: 'corrupt', detail: `${first?.path.join('.') || '(root)'}: ${first?.message}` };
    }
    return { ok: true, value: parsed.data };
  }

  /** From now on, `changed` and `flush` write what `snapshot` returns. */
  keep(snapshot: () => unknown): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.snapshot = snapshot;
  }

  /** Something changed: a write follows within the interval, however many changes come before it. */
  changed(): void {
    if (this.snapshot === undefined || this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.intervalMs);
    // A pending write must not keep a process alive: `flush` on close is what makes the last one.
    this.timer.unref();
  }

  /** Writes the state as it is now; the snapshot is taken before this returns. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.write();
  }

  /** No more writes; one already started completes. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private write(): Promise<void> {
    if (this.snapshot === undefined || this.stopped) return this.writing;
    const started = performance.now();
    // Taken now, synchronously, so the file is one consistent moment of the simulator.
    const json = JSON.stringify(this.snapshot());
    this.intervalMs = Math.max(this.minIntervalMs, Math.ceil(10 * (performance.now() - started)));
    const temporary = `${this.path}.${process.pid}.tmp`;
    this.writing = this.writing
      .then(async () => {
        await writeFile(temporary, json);
        await rename(temporary, this.path);
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: error, path: this.path }, 'sandbox state not saved');
      });
    return this.writing;
  }
}
