import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandbox, type SandboxOptions, type SandboxState } from './app.ts';

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 picks a free port (tests). Default 0. */
  readonly port?: number;
  /** Default: every interface, so the sandbox is reachable from other containers. */
  readonly host?: string;
}

export interface RunningSandbox {
  /** `http://127.0.0.1:<port>`; a provider's base URL is this plus `/<provider>`. */
  readonly url: string;
  readonly port: number;
  readonly state: SandboxState;
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const { app, state } = createSandbox(options);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    close: async () => {
      // The snapshot is taken here, before dispose cancels the pending steps it records.
      const saved = state.save();
      state.dispose();
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      // Keep-alive sockets and held-open requests would otherwise keep close() waiting.
      server.closeAllConnections();
      await Promise.all([closed, saved]);
    },
  };
}
