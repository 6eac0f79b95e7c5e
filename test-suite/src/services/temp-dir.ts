/**
 * Per-service temporary directories under os.tmpdir(): created on start, removed on stop, and
 * removed synchronously at process exit if a test forgot to stop its service.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onProcessExit } from './exit-hooks';

const live = new Set<string>();

function removeSync(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

onProcessExit(() => {
  for (const dir of live) removeSync(dir);
  live.clear();
}, 1);

/** Creates a fresh directory such as /tmp/connector-kit-redis-Ab12Cd. */
export function makeTempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `connector-kit-${label}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory made by `makeTempDir` (and everything in it). Safe to call twice. */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
