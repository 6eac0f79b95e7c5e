/** The spec file the `connector-spec` CLI runs: the common spec against the module it was given. */
import { describeConnector } from './spec';
import { CLI_TARGET_ENV, loadFactory, type CliTarget } from './cli-target';

const target = JSON.parse(process.env[CLI_TARGET_ENV] ?? '{}') as CliTarget;
const factory = loadFactory(target);
const base = { ...target.options, ...(target.url ? { url: target.url } : {}) };

describeConnector({
  name: `${target.module}${target.url ? ` at ${target.url.replace(/\/\/[^@/]*@/, '//***@')}` : ''}`,
  create: ({ prefix }) => factory({ ...base, prefix }),
  ...(target.unreachableUrl
    ? {
        createUnreachable: () =>
          factory({
            ...target.options,
            url: target.unreachableUrl,
            operationTimeoutMs: 1000,
            connectTimeoutMs: 1000,
          }),
      }
    : {}),
  ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}),
});
