export { createThaiGatewayAdapter, type ThaiGatewayConfig } from './adapter.ts';
// The signing client on its own: tests/e2e/provider-rules.test.ts sends boundary bodies to the sandbox with it.
export { createThaiGatewayClient } from './client.ts';
export * from './registration.ts';
export {
  fromWireAmount as fromThaiGatewayAmount,
  THAI_GATEWAY_AMOUNT_UNITS,
  type ThaiGatewayAmountUnit,
  toWireAmount as toThaiGatewayAmount,
} from './transformers.ts';
export { THAI_GATEWAY_DESTINATION_TYPES } from './wire.ts';
