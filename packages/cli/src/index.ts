/** `@connector-kit/cli` as a library: the program and the server behind `serve`. */
export { createProgram } from './program';
export { startServer, type ServerOptions, type RunningServer } from './serve/server';
export { CLI_DEFAULTS, SERVE_ENV, defaultStorageUrl } from './defaults';
export { CliError, EXIT_CODES, type ExitCode } from './errors';
