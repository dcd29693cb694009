export { buildProgram, EXIT, type Io, run } from './cli.ts';
