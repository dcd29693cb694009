export { createThaiGatewayAdapter, type ThaiGatewayConfig } from './adapter.ts';
export * from './registration.ts';
export { THAI_GATEWAY_DESTINATION_TYPES } from './wire.ts';
