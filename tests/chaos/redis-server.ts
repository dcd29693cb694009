/**
 * The chaos run's private redis-server: on a port of its own from 6400 up, claimed with a lock
 * file so that a parallel run cannot take it while this one is down for its restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { portIsFree, redisAnswers } from '@payouts/testing';
import { Redis } from 'ioredis';

function portLockPath(port: number): string {
  return join(tmpdir(), `payouts-chaos-redis-${port}.lock`);
}

/** Claims a port for this process: a lock file holding our pid; one left by a dead process is taken over. */
function claimPort(port: number): boolean {
  const path = portLockPath(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      let pid = 0;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // gone meanwhile: try to create it again
      }
      let alive = false;
      try {
        if (pid > 0) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch (error) {
        alive = (error as { code?: string }).code === 'EPERM';
      }
      if (alive) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

/** A private redis-server: restartable on the same port and dir (the AOF survives), flushable. */
export class RedisServer {
  private child: ChildProcess | null = null;
  private lockPath: string | null = null;
  private spawnError: (Error & { code?: string }) | null = null;
  port = 0;

  constructor(
    private readonly dir: string,
    private readonly logPath: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * The first start looks for a free port from 6400 up and claims it with a lock file, so another
   * chaos run cannot take it while this Redis is down for its restart.
   */
  async start(): Promise<void> {
    if (this.port === 0) {
      for (let port = 6400; port < 6600; port++) {
        if (!claimPort(port)) continue;
        const lock = portLockPath(port);
        if (!(await portIsFree(port))) {
          rmSync(lock, { force: true });
          continue;
        }
        this.port = port;
        this.lockPath = lock;
        if (await this.launch()) return;
        rmSync(lock, { force: true });
        this.lockPath = null;
        if (this.spawnError?.code === 'ENOENT') throw new Error('redis-server is not on PATH: install Redis');
      }
      this.port = 0;
      throw new Error('could not start a private redis-server on any port from 6400 to 6599');
    }
    if (!(await this.launch())) throw new Error(`redis-server did not start again on port ${this.port}`);
  }

  /** Gives the port back (after the final stop). */
  release(): void {
    if (this.lockPath) rmSync(this.lockPath, { force: true });
    this.lockPath = null;
  }

  private async launch(): Promise<boolean> {
    const fd = openSync(this.logPath, 'a');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    let gone = false;
    child.once('exit', () => {
      gone = true;
      if (this.child === child) this.child = null;
    });
    child.once('error', (error) => {
      this.spawnError = error;
      gone = true;
    });
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !gone) {
      if (await this.ping()) return true;
      await sleep(50);
    }
    if (!gone) child.kill('SIGKILL');
    this.child = null;
    return false;
  }

  private async ping(): Promise<boolean> {
    return redisAnswers(this.url);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async flushAll(): Promise<void> {
    const r = new Redis(this.url, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
    r.on('error', () => {});
    try {
      await r.flushall();
    } finally {
      r.disconnect();
    }
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}
