export * from './catalog.ts';
export * from './connections.ts';
export * from './provider-budget.ts';
export * from './provider-gate.ts';
export * from './queues.ts';
export * from './redrive.ts';
export * from './release.ts';
export * from './webhook-flow.ts';
