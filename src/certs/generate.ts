// Certificates for the webhook: a CA and a serving certificate it signs, as PEM. Used by
// `npm start` for its development certificate and by the certificate scripts for clusters.
// Keys are RSA 2048: node-forge signs certificates with RSA only (it has no ECDSA), and RSA
// 2048 is what every API server version accepts. Generation uses Node's native key
// generator underneath (forge delegates to crypto.generateKeyPairSync), so it takes ~100 ms.
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

const { pki, md } = forge;

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

export interface CaOptions {
  readonly commonName?: string;
  readonly validityDays?: number;
}

export interface ServingOptions {
  readonly ca: Pick<IssuedCertificate, 'certPem' | 'keyPem'>;
  /** Subject alternative names: the API server checks these, never the CN (Kubernetes ≥ 1.19). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly commonName?: string;
  readonly validityDays?: number;
  /** Start of validity; defaults to five minutes ago so a skewed clock still accepts it. */
  readonly notBefore?: Date;
}

const DAY_MS = 86_400_000;
const CLOCK_SKEW_MS = 5 * 60_000;

function serialNumber(): string {
  // 16 random bytes with the top bit cleared: positive, unique, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function newCertificate(publicKey: forge.pki.PublicKey, notBefore: Date, validityDays: number) {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  // X.509 times have whole seconds: round here so notAfter returned equals the one encoded.
  const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  cert.validity.notBefore = wholeSeconds(notBefore.getTime());
  cert.validity.notAfter = wholeSeconds(notBefore.getTime() + CLOCK_SKEW_MS + validityDays * DAY_MS);
  return cert;
}

export function generateCa({
  commonName = 'kube-hygiene CA',
  validityDays = 3650,
}: CaOptions = {}): IssuedCertificate {
  const keys = pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, new Date(Date.now() - CLOCK_SKEW_MS), validityDays);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, md.sha256.create());
  return {
    certPem: pki.certificateToPem(cert),
    keyPem: pki.privateKeyToPem(keys.privateKey),
    notAfter: cert.validity.notAfter,
  };
}

export function generateServingCertificate(options: ServingOptions): IssuedCertificate {
  const { ca, dnsNames, ipAddresses = [], validityDays = 365 } = options;
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address to be checked against');
  }
  const caCert = pki.certificateFromPem(ca.certPem);
  const caKey = pki.privateKeyFromPem(ca.keyPem);
  const keys = pki.rsa.generateKeyPair({ bits: 2048 });
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const cert = newCertificate(keys.publicKey, notBefore, validityDays);
  cert.setSubject([{ name: 'commonName', value: options.commonName ?? dnsNames[0] ?? ipAddresses[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        ...ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, md.sha256.create());
  return {
    certPem: pki.certificateToPem(cert),
    keyPem: pki.privateKeyToPem(keys.privateKey),
    notAfter: cert.validity.notAfter,
  };
}
