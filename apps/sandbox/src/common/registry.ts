/**
 * Every payout a simulator created, in creation order. Kept separately from any index by
 * reference or key because the admin API counts provider-side payouts exactly (the chaos run checks
 * for zero duplicates at the provider), and a list that deduplicated anything would hide the bug it counts.
 */
export class PayoutRegistry<T extends { readonly id: string }> {
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

  clear(): void {
    this.byId.clear();
  }
}
