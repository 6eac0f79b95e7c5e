/**
 * Child-process entry for the `dynalite` launcher. Dynalite runs in its own process (not inside
 * the test process) so that the fault helpers can kill, freeze and restart it like any server.
 *
 * Usage: node dynalite-main.js --port <n> [--host 127.0.0.1] [--path <leveldb dir>]
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}

// dynalite ships no type declarations; this is the one call we make.
const dynalite = createRequire(__filename)('dynalite') as (options: DynaliteOptions) => Server;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const port = Number(argument('port'));
const host = argument('host') ?? '127.0.0.1';
const dbPath = argument('path');
if (!Number.isInteger(port) || port <= 0) {
  console.error('dynalite-main: --port <n> is required');
  process.exit(2);
}

// Tables become ACTIVE at once: tests should not wait out simulated provisioning delays.
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(dbPath ? { path: dbPath } : {}),
});
server.on('error', (err) => {
  console.error(`dynalite-main: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`listening on ${host}:${port}`);
});

// The launcher gives us a stdin pipe; it closes when the launching process dies, even by SIGKILL.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
