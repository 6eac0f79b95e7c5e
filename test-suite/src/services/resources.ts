/**
 * What a launcher owns while a service runs — its processes and temporary directories — and the
 * `ServiceHandle` built from them. A launcher that fails half-way releases what it already made.
 */
import { removeTempDir, makeTempDir } from './temp-dir';
import type { ProcessNode } from './process-node';
import type { ServiceHandle } from './types';

export class ServiceResources {
  readonly nodes: ProcessNode[] = [];
  readonly dirs: string[] = [];
  private released: Promise<void> | undefined;

  constructor(readonly name: string) {}

  /** A fresh temporary directory, removed on release. */
  tempDir(label = this.name): string {
    const dir = makeTempDir(label);
    this.dirs.push(dir);
    return dir;
  }

  /** Adopts a node so release kills it. */
  add<T extends ProcessNode>(node: T): T {
    this.nodes.push(node);
    return node;
  }

  /** Kills every process, then removes every directory. Safe to call twice. */
  release(): Promise<void> {
    this.released ??= (async () => {
      await Promise.allSettled(this.nodes.map((n) => n.stop()));
      await Promise.allSettled(this.dirs.map((d) => removeTempDir(d)));
    })();
    return this.released;
  }

  /** Runs `body`; if it throws, releases everything first so a failed start leaves nothing behind. */
  async orRelease<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  handle(url: string, info: Record<string, unknown>): ServiceHandle {
    return {
      name: this.name,
      url,
      external: false,
      nodes: [...this.nodes],
      info: { ...info, tempDirs: [...this.dirs] },
      stop: () => this.release(),
    };
  }
}
