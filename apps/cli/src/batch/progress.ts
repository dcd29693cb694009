import { Presets, SingleBar } from 'cli-progress';
import { orderedStates } from './describe.ts';
import type { BatchStatus } from './types.ts';

/** How `batch submit` draws a run's progress while it follows it. */
export interface Progress {
  update(status: BatchStatus): void;
  stop(): void;
}

/** Not a terminal (a pipe, CI, tests): one plain line each time something changed. */
export class LineProgress implements Progress {
  private last = '';

  constructor(private readonly write: (s: string) => void) {}

  update(status: BatchStatus): void {
    const line = progressLine(status);
    if (line === this.last) return;
    this.last = line;
    this.write(`${line}\n`);
  }

  stop(): void {}
}

/** A terminal: one live bar, redrawn in place. */
export class BarProgress implements Progress {
  private bar: SingleBar | null = null;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(status: BatchStatus): void {
    const payload = { states: statesOf(status.counts) };
    if (!this.bar) {
      this.bar = new SingleBar(
        {
          stream: this.stream,
          format: 'progress |{bar}| {percentage}% {value}/{total} {states}',
          hideCursor: true,
          barsize: 30,
        },
        Presets.shades_classic,
      );
      this.bar.start(status.progress.total, status.progress.final, payload);
    } else {
      this.bar.update(status.progress.final, payload);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** `progress 1200/5000 (24.0%) processed=1100 failed=3 queued=97` */
export function progressLine(status: BatchStatus): string {
  const { final, total, percent } = status.progress;
  return `progress ${final}/${total} (${percent.toFixed(1)}%) ${statesOf(status.counts)}`.trimEnd();
}

function statesOf(counts: Record<string, number>): string {
  return orderedStates(counts)
    .map(([state, n]) => `${state}=${n}`)
    .join(' ');
}
