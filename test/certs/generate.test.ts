// The certificate library, checked with Node's own X.509 and a real TLS handshake the way the
// API server makes one: trust only the CA, verify the name, TLS 1.2 or later.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer, connect } from 'node:tls';
import {
  generateCa,
  generateServingCertificate,
  KeyType,
  type IssuedCertificate,
} from '../../src/certs/generate.js';

const ca = generateCa({ commonName: 'test CA', validityDays: 30 });
const caCert = new X509Certificate(ca.certPem);

t.test('the CA is a CA, self-signed, RSA 2048', async (t) => {
  t.equal(caCert.ca, true);
  t.ok(caCert.verify(caCert.publicKey));
  t.match(caCert.subject, /CN=test CA/);
  t.equal(createPrivateKey(ca.keyPem).asymmetricKeyDetails?.modulusLength, 2048);
  const days = (Date.parse(caCert.validTo) - Date.now()) / 86_400_000;
  t.ok(days > 29.9 && days <= 30.01, `valid for the days asked (${days.toFixed(2)})`);
});

t.test('the serving certificate carries every SAN, is signed by the CA, and is not a CA', async (t) => {
  const names = ['kube-hygiene', 'kube-hygiene.kube-hygiene', 'kube-hygiene.kube-hygiene.svc'];
  const leaf = generateServingCertificate({ ca, dnsNames: names, ipAddresses: ['10.0.0.7'] });
  const cert = new X509Certificate(leaf.certPem);
  t.equal(cert.subjectAltName, `${names.map((n) => `DNS:${n}`).join(', ')}, IP Address:10.0.0.7`);
  t.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey), 'issued and signed by the CA');
  t.equal(cert.ca, false);
  t.ok(cert.checkPrivateKey(createPrivateKey(leaf.keyPem)), 'key matches');
  t.equal(cert.checkHost('kube-hygiene.kube-hygiene.svc'), 'kube-hygiene.kube-hygiene.svc');
  t.equal(cert.checkHost('evil.example.com'), undefined);
  t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: server authentication');
  t.equal(leaf.notAfter.toISOString(), new Date(cert.validTo).toISOString());
  t.throws(() => generateServingCertificate({ ca, dnsNames: [] }), /at least one DNS name or IP/);
});

/** A TLS server with `leaf`, and a client that trusts only `caPem` asking for `servername`. */
async function handshakeWith(leaf: IssuedCertificate, caPem: string, servername: string): Promise<string> {
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, minVersion: 'TLSv1.2' }, (s) =>
    s.end('ok'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: caPem }, () => {
        resolve(socket.getProtocol() ?? '');
        socket.end();
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

t.test('a client trusting only the CA completes a handshake by service name', async (t) => {
  const leaf = generateServingCertificate({ ca, dnsNames: ['webhook.ns.svc'] });
  t.match(await handshakeWith(leaf, ca.certPem, 'webhook.ns.svc'), /^TLSv1\.[23]$/);
  await t.rejects(handshakeWith(leaf, ca.certPem, 'other.ns.svc'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  const stranger = generateCa();
  await t.rejects(handshakeWith(leaf, stranger.certPem, 'webhook.ns.svc'), {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
});

t.test('notBefore can be set (rotation tests make certificates that start later)', async (t) => {
  const notBefore = new Date(Date.now() + 3_600_000);
  const cert = new X509Certificate(generateServingCertificate({ ca, dnsNames: ['x'], notBefore }).certPem);
  t.equal(Date.parse(cert.validFrom), Math.floor(notBefore.getTime() / 1000) * 1000);
});

t.test(
  'ECDSA P-256 and RSA 2048 in every CA / leaf combination: verified by Node, openssl and a handshake',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-hygiene-certs-'));
    for (const caType of [KeyType.rsa2048, KeyType.ecdsaP256]) {
      const root = caType === KeyType.rsa2048 ? ca : generateCa({ keyType: caType });
      const rootCert = new X509Certificate(root.certPem);
      for (const keyType of [KeyType.rsa2048, KeyType.ecdsaP256]) {
        const name = `${caType} CA → ${keyType} leaf`;
        const leaf = generateServingCertificate({ ca: root, dnsNames: ['webhook.ns.svc'], keyType });
        const cert = new X509Certificate(leaf.certPem);
        const key = createPrivateKey(leaf.keyPem);
        t.equal(key.asymmetricKeyType, keyType === KeyType.ecdsaP256 ? 'ec' : 'rsa', `${name}: key type`);
        if (keyType === KeyType.ecdsaP256) t.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
        t.ok(cert.checkIssued(rootCert) && cert.verify(rootCert.publicKey), `${name}: signed by the CA`);
        writeFileSync(join(dir, 'ca.crt'), root.certPem);
        writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
        const verdict = execFileSync(
          'openssl',
          ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'tls.crt')],
          {
            encoding: 'utf8',
          },
        );
        t.match(verdict, /tls\.crt: OK/, `${name}: openssl verify`);
        t.match(
          await handshakeWith(leaf, root.certPem, 'webhook.ns.svc'),
          /^TLSv1\.[23]$/,
          `${name}: handshake`,
        );
      }
    }
  },
);
