import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConnector } from '@connector-kit/test-suite';
import { FileStorage } from '@connector-kit/connector-template';

// 5. The common spec: this is all a connector's test file needs.
const directory = mkdtempSync(join(tmpdir(), 'connector-template-'));
// A regular file where a directory should be: the connector can never open there.
const notADirectory = join(directory, 'not-a-directory');
writeFileSync(notADirectory, '');

describeConnector({
  name: 'FileStorage (template)',
  create: ({ prefix }) => new FileStorage({ directory, prefix }),
  createUnreachable: () =>
    new FileStorage({
      directory: join(notADirectory, 'sub'),
      operationTimeoutMs: 500,
      connectTimeoutMs: 500,
    }),
  supports: { persistent: true, ttl: false, bulk: false, compareAndSet: false },
  afterAll: () => rmSync(directory, { recursive: true, force: true }),
});
