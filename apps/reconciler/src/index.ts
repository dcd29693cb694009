export * from './apply-events.ts';
export * from './env.ts';
export * from './group-commit.ts';
export * from './reconciler.ts';
export * from './reconciliation/runner.ts';
export * from './sweeper.ts';
export * from './webhooks/index.ts';
