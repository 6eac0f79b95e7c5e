import type { Document } from 'bson';
import type { CursorRegistry } from '../cursors';
import type { Store } from '../store';

/** What a command handler may use: the data, the open cursors, and who is asking. */
export interface CommandContext {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  /** The request's `$db`. */
  readonly db: string;
  readonly connectionId: number;
}

export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document;

export interface CommandDefinition {
  readonly handler: CommandHandler;
  /** Fields (besides the command name and the generic ones) the emulator accepts. */
  readonly accepted: readonly string[];
  /** Fields MongoDB knows for this command that the emulator rejects by name. */
  readonly unsupported?: readonly string[];
  /** Whether `readConcern` / `writeConcern` may be given. */
  readonly readConcern?: boolean;
  readonly writeConcern?: boolean;
}
