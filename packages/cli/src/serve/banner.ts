/** What `serve` prints once deepstream listens: where, on what, and how to connect. */
import { scrub } from '../secrets';
import type { RunningServer, ServerOptions } from './server';

export function banner(server: RunningServer, options: ServerOptions): string {
  const exposed = options.host !== '127.0.0.1' && options.host !== 'localhost' && options.host !== '::1';
  return [
    `connector-kit: deepstream ${server.deepstreamVersion} is listening on ${server.url}`,
    `  cache    ${scrub(options.cacheUrl)} (${server.cache.name} connector)`,
    `  storage  ${scrub(options.storageUrl)} (${server.storage.name} connector)`,
    `  HTTP API ${server.httpUrl}`,
    exposed
      ? `  No authentication and no permissions: anyone who reaches ${options.host}:${options.port} can read and write every record.`
      : `  No authentication and no permissions (development setup).`,
    '',
    'Connect from Node.js (npm install @deepstream/client), inside an async function:',
    '',
    "  const { DeepstreamClient } = require('@deepstream/client');",
    `  const client = new DeepstreamClient('${server.url}');`,
    '  await client.login();',
    "  const record = client.record.getRecord('greeting/hello');",
    '  await record.whenReady();',
    "  record.set({ text: 'hello from connector-kit' });",
    "  console.log(await client.record.snapshot('greeting/hello'));",
    '',
    'Ctrl-C stops the server, flushes and closes the connectors.',
  ].join('\n');
}
