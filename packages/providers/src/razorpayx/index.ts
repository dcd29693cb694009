export { createRazorpayxAdapter, type RazorpayxConfig } from './adapter.ts';
export * from './registration.ts';
export { RAZORPAYX_MODES, RAZORPAYX_PURPOSES } from './wire.ts';
