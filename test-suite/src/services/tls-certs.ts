/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost, made
 * with the openssl CLI, so TLS specs verify the server for real instead of disabling checks.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probe, run } from './exec';

export interface TestCertificates {
  /** PEM of the CA that signed the server certificate (give it to clients as `ca`). */
  caPath: string;
  certPath: string;
  keyPath: string;
}

export function opensslAvailable(): Promise<true | string> {
  return probe('openssl', ['version']);
}

// EC keys: generated in milliseconds, unlike RSA, and accepted by redis and Node alike.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Writes ca.crt, server.crt and server.key into `dir` (which must exist). */
export async function generateTestCertificates(dir: string): Promise<TestCertificates> {
  const caPath = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  const certPath = path.join(dir, 'server.crt');
  const keyPath = path.join(dir, 'server.key');
  const csrPath = path.join(dir, 'server.csr');
  const extPath = path.join(dir, 'server.ext');
  const opts = { cwd: dir, timeoutMs: 30_000 };

  // prettier-ignore
  const caArgs = [
    'req', '-x509', ...EC_KEY,
    '-keyout', caKey, '-out', caPath, '-days', '7',
    '-subj', '/CN=connector-kit test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ];
  await run('openssl', caArgs, opts);

  const csrArgs = ['req', '-new', ...EC_KEY, '-keyout', keyPath, '-out', csrPath, '-subj', '/CN=127.0.0.1'];
  await run('openssl', csrArgs, opts);

  // Clients check the SAN, not the CN: cover both ways of dialling loopback.
  fs.writeFileSync(
    extPath,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  // prettier-ignore
  const signArgs = [
    'x509', '-req', '-in', csrPath,
    '-CA', caPath, '-CAkey', caKey,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-out', certPath, '-days', '7', '-extfile', extPath,
  ];
  await run('openssl', signArgs, opts);
  return { caPath, certPath, keyPath };
}
