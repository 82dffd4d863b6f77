// Certificates for the webhook: a CA and a serving certificate it signs, as PEM. Used by
// `npm start` for its development certificate and by the certificate scripts for clusters.
// node-forge writes the X.509 structure; keys and signatures come from Node's crypto, because
// forge signs with RSA only and the scripts offer ECDSA P-256 too (smaller, faster handshakes).
// Key generation is native, so a pair takes milliseconds (RSA 2048: ~100 ms).
import { createPrivateKey } from 'node:crypto';
import {
  CLOCK_SKEW_MS,
  authorityKeyIdExtension,
  build,
  nameOf,
  newKeyPair,
  pem,
  readCa,
  spki,
  subjectKeyIdExtension,
  KeyType,
} from './x509.js';

export { KeyType };

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

export interface CaOptions {
  readonly commonName?: string;
  /** Days; fractions allow the short lifetimes tests use. */
  readonly validityDays?: number;
  readonly keyType?: KeyType;
  /** Start of validity; defaults to five minutes ago so a skewed clock still accepts it. */
  readonly notBefore?: Date;
}

export interface ServingOptions {
  readonly ca: Pick<IssuedCertificate, 'certPem' | 'keyPem'>;
  /** Subject alternative names: the API server checks these, never the CN (Kubernetes ≥ 1.19). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly commonName?: string;
  readonly validityDays?: number;
  readonly keyType?: KeyType;
  /** Start of validity; defaults to five minutes ago so a skewed clock still accepts it. */
  readonly notBefore?: Date;
}

export function generateCa(options: CaOptions = {}): IssuedCertificate {
  const { commonName = 'kube-hygiene CA', validityDays = 3650, keyType = KeyType.rsa2048 } = options;
  const keys = newKeyPair(keyType);
  const publicKey = spki(keys.publicKey);
  const name = nameOf(commonName);
  const { certPem, notAfter } = build({
    subject: name,
    issuer: name,
    publicKey,
    notBefore: options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS),
    validityDays,
    signer: keys.privateKey,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      subjectKeyIdExtension(publicKey),
    ],
  });
  return { certPem, keyPem: pem(keys.privateKey), notAfter };
}

export function generateServingCertificate(options: ServingOptions): IssuedCertificate {
  const { ca, dnsNames, ipAddresses = [], validityDays = 365, keyType = KeyType.rsa2048 } = options;
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address to be checked against');
  }
  const issuer = readCa(ca.certPem);
  const keys = newKeyPair(keyType);
  const publicKey = spki(keys.publicKey);
  const { certPem, notAfter } = build({
    subject: nameOf(options.commonName ?? dnsNames[0] ?? ipAddresses[0]!),
    issuer: issuer.subject,
    publicKey,
    notBefore: options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS),
    validityDays,
    signer: createPrivateKey(ca.keyPem),
    extensions: [
      { name: 'basicConstraints', cA: false },
      // RSA key exchange needs keyEncipherment; ECDSA only signs.
      {
        name: 'keyUsage',
        digitalSignature: true,
        keyEncipherment: keyType === KeyType.rsa2048,
        critical: true,
      },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dnsNames.map((value) => ({ type: 2, value })),
          ...ipAddresses.map((ip) => ({ type: 7, ip })),
        ],
      },
      subjectKeyIdExtension(publicKey),
      authorityKeyIdExtension(issuer.publicKey),
    ],
  });
  return { certPem, keyPem: pem(keys.privateKey), notAfter };
}
