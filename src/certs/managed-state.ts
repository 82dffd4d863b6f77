// What the managed-certificates Secret holds, read and written as a whole: the CA that signs, a
// CA being introduced next to it, the bundle of CAs the API server is told to trust, and the
// serving pair. Reading checks that the parts belong together; a Secret that was never filled
// is "empty", one whose parts do not fit is "broken" with the reason (the writer replaces it).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { lf, splitPemBundle } from './webhook-certs.js';

/** Names of the Secret and the Lease in the server's namespace (deploy/components/managed-certificates). */
export const MANAGED_SECRET = 'kube-hygiene-managed-tls';
export const MANAGED_LEASE = 'kube-hygiene-certificates';

/** Keys of the Secret's data. `ca.crt` is the bundle, as in cert-manager's and the scripts' Secrets. */
export const SECRET_KEYS = {
  bundle: 'ca.crt',
  signerCert: 'ca-signer.crt',
  signerKey: 'ca-signer.key',
  nextCert: 'ca-next.crt',
  nextKey: 'ca-next.key',
  cert: 'tls.crt',
  key: 'tls.key',
} as const;

export interface Certificate {
  readonly pem: string;
  readonly x509: X509Certificate;
}

export interface KeyPair extends Certificate {
  readonly keyPem: string;
}

export interface ManagedState {
  /** The CA that signs serving certificates now. */
  readonly signer: KeyPair;
  /** A CA already trusted that will sign once the API server has had the bundle for a while. */
  readonly next?: KeyPair;
  /** Every CA the API server is told to trust, newest first: `next`, `signer`, older ones until they expire. */
  readonly trusted: readonly Certificate[];
  readonly serving: KeyPair;
}

export type DecodedSecret =
  | { readonly kind: 'empty' }
  | { readonly kind: 'broken'; readonly problem: string }
  | { readonly kind: 'ok'; readonly state: ManagedState };

const REQUIRED = [
  SECRET_KEYS.bundle,
  SECRET_KEYS.signerCert,
  SECRET_KEYS.signerKey,
  SECRET_KEYS.cert,
  SECRET_KEYS.key,
];

export function certificate(pem: string): Certificate {
  return { pem: lf(pem), x509: new X509Certificate(pem) };
}

export function keyPair(certPem: string, keyPem: string): KeyPair {
  return { ...certificate(certPem), keyPem: lf(keyPem) };
}

/** True when `issuer` issued `cert` and its key signed it. */
export function issuedBy(cert: Certificate, issuer: Certificate): boolean {
  return cert.x509.checkIssued(issuer.x509) && cert.x509.verify(issuer.x509.publicKey);
}

export function bundlePem(state: ManagedState): string {
  return state.trusted.map((c) => c.pem.trimEnd() + '\n').join('');
}

function readPair(text: Record<string, string>, certKey: string, keyKey: string, isCa: boolean): KeyPair {
  let cert: Certificate;
  try {
    cert = certificate(text[certKey] ?? '');
  } catch (err) {
    throw new Error(`${certKey} is not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  const keyPem = lf(text[keyKey] ?? '');
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${keyKey} is not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (!cert.x509.checkPrivateKey(key)) throw new Error(`${keyKey} does not belong to ${certKey}`);
  if (cert.x509.ca !== isCa) throw new Error(`${certKey} is ${isCa ? 'not ' : ''}a CA certificate`);
  return { ...cert, keyPem };
}

function check(text: Record<string, string>): ManagedState {
  const hasNext = SECRET_KEYS.nextCert in text || SECRET_KEYS.nextKey in text;
  const signer = readPair(text, SECRET_KEYS.signerCert, SECRET_KEYS.signerKey, true);
  const next = hasNext ? readPair(text, SECRET_KEYS.nextCert, SECRET_KEYS.nextKey, true) : undefined;
  const serving = readPair(text, SECRET_KEYS.cert, SECRET_KEYS.key, false);
  const trusted = splitPemBundle(text[SECRET_KEYS.bundle]!).map(certificate);
  const isTrusted = (c: Certificate) => trusted.some((t) => t.x509.fingerprint256 === c.x509.fingerprint256);
  for (const [name, ca] of [
    [SECRET_KEYS.signerCert, signer],
    [SECRET_KEYS.nextCert, next],
  ] as const) {
    if (ca && !isTrusted(ca)) throw new Error(`${name} is not in ${SECRET_KEYS.bundle}`);
  }
  if (!trusted.some((ca) => issuedBy(serving, ca)))
    throw new Error(`${SECRET_KEYS.cert} was not issued by a CA in ${SECRET_KEYS.bundle}`);
  return { signer, ...(next && { next }), trusted, serving };
}

/** Reads the Secret's `data` (base64 values, as the API returns them). */
export function decodeSecret(data: Readonly<Record<string, string>> | undefined): DecodedSecret {
  const text = Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
  const present = REQUIRED.filter((k) => text[k]);
  if (present.length === 0) return { kind: 'empty' };
  const missing = REQUIRED.filter((k) => !text[k]);
  if (missing.length) return { kind: 'broken', problem: `no ${missing.join(', ')}` };
  try {
    return { kind: 'ok', state: check(text) };
  } catch (err) {
    return { kind: 'broken', problem: (err as Error).message };
  }
}

/** The Secret's `data` for a state (base64 values). */
export function encodeSecret(state: ManagedState): Record<string, string> {
  const text: Record<string, string> = {
    [SECRET_KEYS.bundle]: bundlePem(state),
    [SECRET_KEYS.signerCert]: state.signer.pem,
    [SECRET_KEYS.signerKey]: state.signer.keyPem,
    [SECRET_KEYS.cert]: state.serving.pem,
    [SECRET_KEYS.key]: state.serving.keyPem,
    ...(state.next && { [SECRET_KEYS.nextCert]: state.next.pem, [SECRET_KEYS.nextKey]: state.next.keyPem }),
  };
  return Object.fromEntries(Object.entries(text).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}
