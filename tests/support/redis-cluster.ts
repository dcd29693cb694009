/**
 * A private three-master Redis Cluster on loopback, for tests that must see the system on a
 * cluster rather than on one server: `redis-server` processes started with cluster mode on free
 * ports, joined by `redis-cli --cluster create`, and waited for until every node says
 * `cluster_state:ok`. `stop()` ends them and removes their files.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { PATIENCE_MS, portIsFree, waitUntil } from '@payouts/testing';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C`, as REDIS_URL takes it. */
  url: string;
  ports: number[];
  /** A plain connection to one node (not cluster-aware): for CLUSTER and per-node commands. */
  node(port: number): Redis;
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here, or null when it can: only a missing `redis-server`/`redis-cli`. */
export function redisClusterUnavailable(): string | null {
  for (const binary of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' });
    if (probe.error) return `${binary} is not on PATH: install Redis to run the Redis Cluster tests`;
  }
  return null;
}

/** Three ports from 7100–7899 with their cluster-bus ports (+10000) free, chosen at random. */
async function freeClusterPorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 7100 + Math.floor(Math.random() * 790);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((p) => [portIsFree(p), portIsFree(p + 10_000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no free ports for a Redis Cluster in 7100–7899');
}

export async function startRedisCluster(options: { nodes?: number } = {}): Promise<RedisCluster> {
  const unavailable = redisClusterUnavailable();
  if (unavailable) throw new Error(unavailable);
  const count = options.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'payouts-redis-cluster-'));
  const children: ChildProcess[] = [];
  const clients = new Map<number, Redis>();
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  // Whatever ends the test process, no redis-server outlives it.
  process.once('exit', killAll);

  const node = (port: number): Redis => {
    let client = clients.get(port);
    if (!client) {
      client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2, connectTimeout: 2000 });
      client.on('error', () => {});
      clients.set(port, client);
    }
    return client;
  };

  async function stop(): Promise<void> {
    for (const client of clients.values()) client.disconnect();
    clients.clear();
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
        if (timedOut) {
          child.kill('SIGKILL');
          await Promise.race([exited, sleep(2000)]);
        }
      }),
    );
    process.removeListener('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  }

  let ports: number[] = [];
  try {
    ports = await freeClusterPorts(count);
    for (const port of ports) {
      const log = openSync(join(dir, `redis-${port}.log`), 'a');
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', log, log] },
      );
      closeSync(log);
      children.push(child);
    }
    for (const port of ports) {
      await waitUntil(async () => (await node(port).ping()) === 'PONG', PATIENCE_MS, `redis-server on ${port}`, 100);
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: PATIENCE_MS },
    );
    for (const port of ports) {
      await waitUntil(
        async () => {
          const info = String(await node(port).cluster('INFO'));
          return (
            /cluster_state:ok/.test(info) &&
            /cluster_slots_ok:16384/.test(info) &&
            /cluster_known_nodes:(\d+)/.exec(info)?.[1] === String(count)
          );
        },
        PATIENCE_MS,
        `cluster_state:ok on ${port}`,
        100,
      );
    }
    return {
      url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
      ports,
      node,
      stop,
    };
  } catch (error) {
    const logs = ports
      .map((p) => join(dir, `redis-${p}.log`))
      .filter(existsSync)
      .map((p) => readFileSync(p, 'utf8').slice(-2000));
    await stop();
    throw new Error(`${(error as Error).message}${logs.length ? `\n${logs.join('\n')}` : ''}`);
  }
}
