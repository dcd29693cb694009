import type { Response } from 'express';

/**
 * Requests held open after their payout was committed (the "timeout after commit" fault): the
 * client gives up not knowing the outcome, which the engine must survive by looking the payout up
 * instead of resubmitting blindly (docs/architecture.md#principles).
 */
export class HangingRequests {
  private readonly held = new Map<Response, NodeJS.Timeout>();

  hold(res: Response, hangMs: number): void {
    const timer = setTimeout(() => this.drop(res), hangMs);
    timer.unref();
    this.held.set(res, timer);
    res.on('close', () => {
      clearTimeout(timer);
      this.held.delete(res);
    });
  }

  get size(): number {
    return this.held.size;
  }

  dropAll(): void {
    for (const res of [...this.held.keys()]) this.drop(res);
  }

  /** Destroying the socket, never answering: a response of any kind would tell the client. */
  private drop(res: Response): void {
    const timer = this.held.get(res);
    if (timer) clearTimeout(timer);
    this.held.delete(res);
    res.socket?.destroy();
  }
}
