export * from './contract/index.ts';
export * from './druo/index.ts';
export * from './kit/index.ts';
export * from './krayon/index.ts';
export * from './razorpayx/index.ts';
export * from './registry.ts';
export * from './thai-gateway/index.ts';
