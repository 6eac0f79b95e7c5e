/**
 * The connector template: fork this package to write a connector for a new backend.
 *
 * It is a complete, working connector for the simplest real backend there is — a directory of
 * files — so `npm test` passes the common spec from the first minute. Replace the five hooks
 * with calls to your backend; the base class already does everything else (validation,
 * serialisation, readiness, timeouts, ordering, callbacks, close, stats).
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BaseConnector,
  ConnectorError,
  deepstreamPluginFor,
  parseConnectorUrl,
  type ConnectorDriver,
  type ConnectorOptions,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';

/** 1. Your options: extend ConnectorOptions and keep every default in one const. */
export interface FileStorageOptions extends ConnectorOptions {
  /** Directory holding one file per key. Default: from the URL path, else `./data`. */
  directory?: string;
}

export const FILE_STORAGE_DEFAULTS = {
  directory: './data',
  maxKeyBytes: 1024,
  maxValueBytes: 1024 * 1024,
} as const;

export class FileStorage extends BaseConnector {
  readonly directory: string;

  constructor(options: FileStorageOptions = {}) {
    // 2. Tell the base class who you are and what the backend can do (the `supports` manifest).
    super(options, {
      name: 'file',
      version: '0.1.0',
      supports: {
        ttl: false, // the spec then checks that a TTL is refused with UNSUPPORTED
        ttlGranularityMs: 1,
        bulk: false, // bulk calls fall back to single operations
        compareAndSet: false,
        maxKeyBytes: FILE_STORAGE_DEFAULTS.maxKeyBytes,
        maxValueBytes: FILE_STORAGE_DEFAULTS.maxValueBytes,
        persistent: true,
      },
    });
    const fromUrl = options.url ? parseConnectorUrl(options.url) : null;
    if (fromUrl && fromUrl.scheme !== 'file') {
      throw new ConnectorError('CONFIG', `FileStorage expects a file:// URL, got ${fromUrl.redacted}`, {
        details: { field: 'url' },
      });
    }
    this.directory = resolve(
      options.directory ?? (fromUrl?.path ? `/${fromUrl.path}` : FILE_STORAGE_DEFAULTS.directory),
    );
  }

  // 3. The hooks. Keys arrive with the prefix applied; values arrive serialised (record.data).

  protected async _open(): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true });
      await access(this.directory);
    } catch (err) {
      // CONFIG stops the base class from retrying: a bad directory will not fix itself.
      throw new ConnectorError(
        'CONFIG',
        `Cannot use directory ${this.directory}: ${(err as Error).message}`,
        {
          cause: err,
          details: { field: 'directory' },
        },
      );
    }
  }

  protected async _get(key: string): Promise<ReadRecord | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.fileFor(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const newline = bytes.indexOf(10);
    return {
      version: Number(bytes.subarray(0, newline).toString('ascii')),
      data: bytes.subarray(newline + 1),
    };
  }

  protected async _set(key: string, record: WriteRecord): Promise<void> {
    // Version and data in one file, replaced atomically by rename: readers never see half a record.
    const file = this.fileFor(key);
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, Buffer.concat([Buffer.from(`${record.version}\n`), record.data]));
    await rename(temp, file);
  }

  protected async _delete(key: string): Promise<void> {
    await rm(this.fileFor(key), { force: true });
  }

  protected async _close(): Promise<void> {
    // Nothing to release for files; a network backend closes its client here.
  }

  /** Any key becomes a safe, fixed-length file name. */
  private fileFor(key: string): string {
    return join(this.directory, createHash('sha256').update(key).digest('hex'));
  }
}

// 4. Export a driver (for createConnector) and a deepstream plugin.
export const driver: ConnectorDriver = {
  name: 'file',
  schemes: ['file'],
  create: (options) => new FileStorage(options as FileStorageOptions),
};

export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new FileStorage(options as FileStorageOptions),
);
