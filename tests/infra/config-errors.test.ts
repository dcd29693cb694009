import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

/**
 * An app started with a configuration it cannot run with says so in one readable message and
 * exits 1: no stack trace, nothing else on stderr, nothing started.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function start(app: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], { cwd: ROOT, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

function without(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

describe('a configuration error is one message and exit code 1', () => {
  test.each(['api', 'worker', 'reconciler'])('%s without DATABASE_URL', async (app) => {
    const res = await start(app, without('DATABASE_URL'));
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`${app}: Invalid configuration:\n  DATABASE_URL: is not set (required)\n`);
  });

  test('a value of the wrong shape names the variable and the rule it breaks', async () => {
    const res = await start('sandbox', { ...process.env, SANDBOX_PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^sandbox: Invalid configuration:\n {2}SANDBOX_PORT: .+\n$/);
    expect(res.stderr).not.toContain(' at ');
  });
});
