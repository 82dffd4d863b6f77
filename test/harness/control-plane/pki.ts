// The control plane's certificates, made with openssl at run time: one CA that signs the API
// server's serving certificate, the client certificates of the admin and the controller manager
// (the subject's O is the group RBAC sees), and the service-account signing key pair.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlanePki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly caPem: string;
  readonly serving: { cert: string; key: string };
  readonly admin: { cert: string; key: string };
  readonly controllerManager: { cert: string; key: string };
  readonly serviceAccount: { key: string; pub: string };
  /** A client certificate for `user` in `groups`, signed by the CA. */
  client(name: string, user: string, groups?: readonly string[]): { cert: string; key: string };
  /** A serving certificate for localhost and 127.0.0.1, signed by the CA. */
  server(name: string): { cert: string; key: string };
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  if (existsSync(cert)) throw new Error(`a certificate named ${name} was issued already`);
  writeFileSync(ext, extensions);
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      subject,
    ]),
  );
  openssl(
    ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key')].concat([
      '-CAcreateserial',
      '-days',
      '30',
      '-out',
      cert,
      '-extfile',
      ext,
    ]),
  );
  return { cert, key };
}

export function makeControlPlanePki(dir: string): ControlPlanePki {
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat(
      ['-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-subj', '/CN=kube-hygiene e2e CA'],
      [
        '-days',
        '30',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
    ),
  );
  const client = (name: string, user: string, groups: readonly string[] = []) =>
    issue(
      dir,
      name,
      [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join(''),
      'extendedKeyUsage=clientAuth\n',
    );
  const server = (name: string) =>
    issue(
      dir,
      name,
      `/CN=${name}`,
      'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
    );
  const serviceAccount = { key: join(dir, 'sa.key'), pub: join(dir, 'sa.pub') };
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccount.key]);
  openssl(['pkey', '-in', serviceAccount.key, '-pubout', '-out', serviceAccount.pub]);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    serving: server('kube-apiserver'),
    admin: client('admin', 'e2e-admin', ['system:masters']),
    controllerManager: client('controller-manager', 'system:kube-controller-manager'),
    serviceAccount,
    client,
    server,
  };
}
