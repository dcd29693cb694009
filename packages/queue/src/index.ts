export * from './catalog.ts';
export * from './connections.ts';
export * from './queues.ts';
