import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type ProviderConfigPatch, providerConfigSchema, resolveProviderConfig } from './config.ts';
import { OUTCOMES } from './outcomes.ts';
import type { ProviderSimulator } from './provider.ts';
import type { ProviderRuntime } from './runtime.ts';
import { StateFile } from './state-file.ts';

/**
 * What a simulator keeps across restarts when the sandbox has a state directory: its folder's
 * `state.ts` says what that is (a zod schema), the simulator takes and gives it back. The runtime's
 * own part (the live configuration, balance included) is saved beside it by `keepState`.
 */
export interface Persistent<S> {
  /** Plain JSON, taken synchronously so that it is one consistent moment. */
  snapshot(): S;
  /** Called once, before the first request; re-schedules the automatic steps that were pending. */
  restore(saved: S): void;
}

export const outcomeSchema = z.enum(OUTCOMES);

/** Every saved record: its id, and whether an automatic step was pending (`PayoutRegistry.snapshot`). */
export const savedRecordFields = { id: z.string().min(1), progressing: z.boolean() };

/**
 * A provider's wire object as the sandbox itself wrote it. Checked for what the simulator's logic
 * reads (an object with a status it knows); the rest is the sandbox's own writing, taken as it is.
 */
export function savedWire<T extends { readonly status: string }>(statuses: readonly string[]) {
  return z.custom<T>(
    (value) =>
      typeof value === 'object' && value !== null && statuses.includes(String((value as { status?: unknown }).status)),
    { message: `expected a wire object with a status in ${statuses.join(', ')}` },
  );
}

/** Bumped when a saved file could no longer be read as it is: an old one then starts empty. */
const FORMAT = 1;

function savedFile<S>(provider: string, state: z.ZodType<S>) {
  return z.object({
    format: z.literal(FORMAT),
    provider: z.literal(provider),
    savedAt: z.string(),
    config: providerConfigSchema,
    state,
  });
}

export interface KeepStateOptions<S> {
  readonly dir: string;
  readonly runtime: ProviderRuntime;
  readonly simulator: ProviderSimulator & Persistent<S>;
  readonly schema: z.ZodType<S>;
  /** The configuration the sandbox was started with: it wins over the saved one, but for the balance. */
  readonly startConfig: ProviderConfigPatch;
}

/**
 * Loads `<dir>/<provider>.json` into the simulator, then keeps that file up to date. A missing or
 * unreadable file is not fatal: the simulator starts empty, as without a state directory, with one
 * warning; an unreadable file is moved aside rather than overwritten, for whoever wants to look.
 */
export function keepState<S>({ dir, runtime, simulator, schema, startConfig }: KeepStateOptions<S>): void {
  const { logger } = runtime.deps;
  const file = new StateFile(join(dir, `${runtime.id}.json`), logger);
  const read = file.read(savedFile(runtime.id, schema));
  if (read.ok) {
    try {
      // The balance is the provider's state, not a setting: the saved one stands.
      const { balance: _startBalance, ...settings } = startConfig;
      runtime.config = resolveProviderConfig(read.value.config, settings);
      simulator.restore(read.value.state);
      logger.info({ provider: runtime.id, path: file.path, savedAt: read.value.savedAt }, 'sandbox state restored');
    } catch (error) {
      simulator.reset();
      setAside(file.path, String(error), runtime);
    }
  } else if (read.reason === 'missing') {
    logger.warn({ provider: runtime.id, path: file.path }, 'no saved sandbox state: starting empty');
  } else {
    setAside(file.path, read.detail, runtime);
  }
  file.keep(() => ({
    format: FORMAT,
    provider: runtime.id,
    savedAt: new Date(runtime.now()).toISOString(),
    config: runtime.config,
    state: simulator.snapshot(),
  }));
  runtime.keepIn(file);
}

function setAside(path: string, detail: string, runtime: ProviderRuntime): void {
  let movedTo: string | null = `${path}.unreadable-${runtime.now()}`;
  try {
    renameSync(path, movedTo);
  } catch {
    // Not ours to move (a directory, no permission): the next save replaces it or fails with a warning.
    movedTo = null;
  }
  runtime.deps.logger.warn(
    { provider: runtime.id, path, movedTo, detail },
    'saved sandbox state unreadable: starting empty',
  );
}
