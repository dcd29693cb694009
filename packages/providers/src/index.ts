export * from './contract/index.ts';
export * from './razorpayx/index.ts';
export * from './registry.ts';
