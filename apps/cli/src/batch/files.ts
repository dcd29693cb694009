import { createHash } from 'node:crypto';
import { constants, createReadStream, createWriteStream, type Stats } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { type ApiClient, ApiUnreachable } from '../api-client.ts';
import { CheckFailed } from '../context.ts';

/**
 * The default Idempotency-Key: a SHA-256 of the options and the file's bytes, read in a first
 * streaming pass. The same file with the same options is the same key, so the API recognises a
 * re-run and answers with the first run; another file, or other options, is another key.
 */
export async function fileKey(cmd: Command, file: string, query: Record<string, string>): Promise<string> {
  const hash = createHash('sha256').update(
    `payouts-cli batch submit\nmode=${query.mode}\non_insufficient_funds=${query.on_insufficient_funds}\n`,
  );
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    cmd.error(`error: cannot read ${file}: ${fsReason(error)}`);
  }
  return `batch-${hash.digest('hex')}`;
}

export async function checkReadable(cmd: Command, file: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(file);
    await access(file, constants.R_OK);
  } catch (error) {
    cmd.error(`error: cannot read ${file}: ${fsReason(error)}`);
  }
  if (!info.isFile()) cmd.error(`error: ${file} is not a file`);
}

export async function checkWritable(cmd: Command, target: string): Promise<void> {
  try {
    await access(dirname(target), constants.W_OK);
  } catch (error) {
    cmd.error(`error: cannot write to ${dirname(target)}: ${fsReason(error)}`);
  }
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) cmd.error(`error: ${target} is a directory; --output names the file to write`);
}

function fsReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Streams the download to `target` (through a `.part` file, so a cut-off download leaves no
 * half file behind) and counts its data rows: lines outside quoted fields, less the header.
 */
export async function save(client: ApiClient, res: Response, target: string): Promise<number> {
  const part = `${target}.part`;
  let lines = 0;
  let quoted = false;
  let last = 0x0a;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) {
        if (byte === 0x22) quoted = !quoted;
        else if (byte === 0x0a && !quoted) lines++;
      }
      last = chunk.at(-1) ?? last;
      done(null, chunk);
    },
  });
  const body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
  const file = createWriteStream(part);
  try {
    await pipeline(body, counter, file);
    await rename(part, target);
  } catch (error) {
    await rm(part, { force: true });
    const local = typeof (error as { syscall?: unknown }).syscall === 'string';
    if (local) throw new CheckFailed(`could not write ${target}: ${fsReason(error)}`);
    throw new ApiUnreachable(client.baseUrl, `the download was cut off: ${(error as Error).message}`);
  }
  if (last !== 0x0a) lines++; // a last line without its newline
  return Math.max(0, lines - 1);
}

/**
 * Streams a download to standard output as it arrives (`--output -`), for a pipe into another
 * tool: constant memory whatever the size, and nothing else is printed on stdout.
 */
export async function copyToOutput(client: ApiClient, res: Response, out: (s: string) => void): Promise<void> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) out(decoder.decode(chunk, { stream: true }));
  } catch (error) {
    throw new ApiUnreachable(client.baseUrl, `the download was cut off: ${(error as Error).message}`);
  }
  out(decoder.decode());
}
