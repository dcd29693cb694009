/** What a chaos run measured and found, and its table for `pnpm chaos` and a failing test. */

export interface WalletFigures {
  funded: string;
  expectedAvailable: string;
  available: string;
  held: string;
  /** available − expected (0 when right). */
  difference: string;
}

export interface ChaosReport {
  payouts: number;
  accepted: number;
  byProvider: Record<string, number>;
  byCurrency: Record<string, number>;
  states: Record<string, number>;
  kills: number;
  killsByKind: { worker: number; reconciler: number };
  processRestarts: number;
  unexpectedExits: { name: string; code: number | null; signal: string | null }[];
  redisRestarts: number;
  flushes: number;
  /** RazorpayX's credentials revoked at the sandbox mid-load, then restored (the operator's fix). */
  credentialRotations: number;
  /** Operator downtimes declared on RazorpayX's IMPS mid-load, then ended. */
  downtimes: number;
  apiRetries: number;
  apiRetryReasons: Record<string, number>;
  /** Payouts the tenant's approval policy caught, and those a second key approved during the chaos. */
  approvalsNeeded: number;
  approved: number;
  lost: number;
  extraInDatabase: number;
  notFinal: number;
  providerPayouts: Record<string, number>;
  duplicatedAtProviders: number;
  missingAtProviders: number;
  unaccountedAtProviders: number;
  stateMismatches: number;
  ledgerProblems: string[];
  /** Sum of every ledger entry per currency (0 when balanced). */
  ledgerTotals: Record<string, string>;
  wallets: Record<string, WalletFigures>;
  durationsMs: { setup: number; load: number; chaos: number; settle: number; check: number; total: number };
  throughput: { acceptedPerSecond: number; settledPerSecond: number };
  violations: string[];
  warnings: string[];
  /** Where the process logs were kept (only when kept). */
  logDir: string | null;
}

/** A report with nothing counted yet, for a run of `payouts` payouts. */
export function emptyReport(payouts: number): ChaosReport {
  return {
    payouts,
    accepted: 0,
    byProvider: {},
    byCurrency: {},
    states: {},
    kills: 0,
    killsByKind: { worker: 0, reconciler: 0 },
    processRestarts: 0,
    unexpectedExits: [],
    redisRestarts: 0,
    flushes: 0,
    credentialRotations: 0,
    downtimes: 0,
    apiRetries: 0,
    apiRetryReasons: {},
    approvalsNeeded: 0,
    approved: 0,
    lost: 0,
    extraInDatabase: 0,
    notFinal: 0,
    providerPayouts: {},
    duplicatedAtProviders: 0,
    missingAtProviders: 0,
    unaccountedAtProviders: 0,
    stateMismatches: 0,
    ledgerProblems: [],
    ledgerTotals: {},
    wallets: {},
    durationsMs: { setup: 0, load: 0, chaos: 0, settle: 0, check: 0, total: 0 },
    throughput: { acceptedPerSecond: 0, settledPerSecond: 0 },
    violations: [],
    warnings: [],
    logDir: null,
  };
}

/** The figures as a two-column table (for `pnpm chaos` and a failing test). */
export function formatReport(r: ChaosReport): string {
  const rows: [string, string][] = [
    ['payouts pushed / accepted', `${r.payouts} / ${r.accepted}`],
    [
      'per provider',
      Object.entries(r.byProvider)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      'per currency',
      Object.entries(r.byCurrency)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      'final states',
      Object.entries(r.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['SIGKILLs', `${r.kills} (workers ${r.killsByKind.worker}, reconcilers ${r.killsByKind.reconciler})`],
    ['process restarts', `${r.processRestarts} (unexpected exits ${r.unexpectedExits.length})`],
    ['Redis restarts / flushes', `${r.redisRestarts} / ${r.flushes}`],
    ['credential rotations / downtimes (RazorpayX)', `${r.credentialRotations} / ${r.downtimes}`],
    ['API retries (same key)', `${r.apiRetries} ${JSON.stringify(r.apiRetryReasons)}`],
    ['approved mid-chaos', `${r.approved} of ${r.approvalsNeeded}`],
    ['lost', String(r.lost)],
    ['not final', String(r.notFinal)],
    [
      'provider-side payouts',
      Object.entries(r.providerPayouts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['duplicated at providers', String(r.duplicatedAtProviders)],
    ['missing at providers', String(r.missingAtProviders)],
    ['unaccounted at providers', String(r.unaccountedAtProviders)],
    ['state mismatches (ours vs provider)', String(r.stateMismatches)],
    [
      'ledger sum per currency',
      Object.entries(r.ledgerTotals)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['ledger problems', String(r.ledgerProblems.length)],
    [
      'wallet difference',
      Object.entries(r.wallets)
        .map(([k, w]) => `${k} ${w.difference} (held ${w.held})`)
        .join(', '),
    ],
    [
      'durations',
      `setup ${s(r.durationsMs.setup)}, load ${s(r.durationsMs.load)}, chaos ${s(r.durationsMs.chaos)}, settle ${s(r.durationsMs.settle)}, check ${s(r.durationsMs.check)}, total ${s(r.durationsMs.total)}`,
    ],
    [
      'throughput',
      `${r.throughput.acceptedPerSecond} accepted/s, ${r.throughput.settledPerSecond} settled/s (load start → all final)`,
    ],
    ['violations', String(r.violations.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
