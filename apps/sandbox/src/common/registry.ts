/**
 * Every payout a simulator created, in creation order. Kept separately from any index by
 * reference or key because the admin API counts provider-side payouts exactly (the chaos run checks
 * for zero duplicates at the provider), and a list that deduplicated anything would hide the bug it counts.
 */
export class PayoutRegistry<T extends { readonly id: string; cancelStep?: (() => void) | undefined }> {
  private readonly byId = new Map<string, T>();

  add(payout: T): void {
    if (this.byId.has(payout.id)) throw new Error(`payout ${payout.id} registered twice`);
    this.byId.set(payout.id, payout);
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** Oldest first: a Map iterates in insertion order. */
  all(): T[] {
    return [...this.byId.values()];
  }

  newestFirst(): T[] {
    return this.all().reverse();
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every record as plain data, oldest first: a pending step is saved as `progressing`. */
  snapshot(): SavedRecord<T>[] {
    return this.all().map(({ cancelStep, ...record }) => ({ ...record, progressing: cancelStep !== undefined }));
  }

  /** Takes back what `snapshot` saved, in its order; `resume` schedules the steps that were pending. */
  restore(saved: readonly SavedRecord<T>[], resume: (record: T) => void): void {
    for (const { progressing, ...fields } of saved) {
      // A saved record lacks only `cancelStep`, which is optional: it is a record with no step pending.
      const record = fields as unknown as T;
      this.add(record);
      if (progressing) resume(record);
    }
  }

  /** Throws unless every id an index points at is a payout here: a restored index must not dangle. */
  assertKnown(ids: Iterable<string>, index: string): void {
    for (const id of ids) if (!this.byId.has(id)) throw new Error(`${index} points at unknown payout ${id}`);
  }

  clear(): void {
    this.byId.clear();
  }
}

/** A record as saved: its fields without the cancel function, and whether a step was pending. */
export type SavedRecord<T> = Omit<T, 'cancelStep'> & { readonly progressing: boolean };
