// The certificate folder the scripts keep for a cluster (certs-scripts/generate, rotate): the CA,
// the bundle the API server trusts, the serving certificate, and the kustomize Component that
// carries them into deploy/. Rotation reads the folder back, so it needs no options repeated.
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KeyType, generateCa, generateServingCertificate, type IssuedCertificate } from './generate.js';
import {
  DEFAULT_SECRET_NAME,
  DEFAULT_TARGET,
  PATCH_FILE,
  SECRET_FILE,
  caBundlePatch,
  componentKustomization,
  secretManifest,
  serviceDnsNames,
  type WebhookTarget,
} from './webhook-files.js';

export const FILES = {
  ca: 'ca.crt',
  caKey: 'ca.key',
  bundle: 'ca-bundle.crt',
  cert: 'tls.crt',
  key: 'tls.key',
  secret: SECRET_FILE,
  patch: PATCH_FILE,
  kustomization: 'kustomization.yaml',
} as const;
const PRIVATE = new Set<string>([FILES.caKey, FILES.key, FILES.secret]);

export interface GenerateOptions {
  readonly dir: string;
  readonly target?: WebhookTarget;
  readonly secretName?: string;
  readonly validityDays?: number;
  readonly caValidityDays?: number;
  readonly keyType?: KeyType;
  /** Replace an existing CA: every caBundle in the cluster must then be updated. */
  readonly force?: boolean;
}

export interface RotateOptions {
  readonly dir: string;
  readonly validityDays?: number;
  readonly keyType?: KeyType;
  /** Step 1 of a CA rotation: a new CA, trusted next to the old one; the serving cert stays. */
  readonly newCa?: boolean;
  readonly caValidityDays?: number;
  /** Step 3: trust only the current CA (refused while tls.crt comes from another). */
  readonly retireOldCa?: boolean;
}

export interface CertificateFolder {
  readonly dir: string;
  readonly dnsNames: readonly string[];
  readonly servingNotAfter: Date;
  /** Subjects of the CAs in ca-bundle.crt, newest first. */
  readonly trusted: readonly string[];
}

/** Writes next to the target, then renames: a watcher never sees half a file. */
function writeAtomically(dir: string, name: string, text: string): void {
  const temporary = join(dir, `.${name}.tmp`);
  writeFileSync(temporary, text, { mode: PRIVATE.has(name) ? 0o600 : 0o644 });
  renameSync(temporary, join(dir, name));
}

export function splitPemBundle(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

interface Folder {
  readonly ca: Pick<IssuedCertificate, 'certPem' | 'keyPem'>;
  readonly bundle: readonly string[];
  readonly serving: Pick<IssuedCertificate, 'certPem' | 'keyPem'>;
  readonly secretName: string;
  readonly namespace: string;
}

function write(dir: string, f: Folder): CertificateFolder {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bundlePem = f.bundle.map((pem) => lf(pem).trimEnd() + '\n').join('');
  const certPem = lf(f.serving.certPem);
  const keyPem = lf(f.serving.keyPem);
  writeAtomically(dir, FILES.ca, lf(f.ca.certPem));
  writeAtomically(dir, FILES.caKey, lf(f.ca.keyPem));
  writeAtomically(dir, FILES.bundle, bundlePem);
  writeAtomically(dir, FILES.key, keyPem);
  writeAtomically(dir, FILES.cert, certPem);
  const secret = { name: f.secretName, namespace: f.namespace, certPem, keyPem, caBundlePem: bundlePem };
  writeAtomically(dir, FILES.secret, secretManifest(secret));
  writeAtomically(dir, FILES.patch, caBundlePatch(bundlePem));
  writeAtomically(dir, FILES.kustomization, componentKustomization(f.secretName));
  return describe(dir, certPem, f.bundle);
}

function describe(dir: string, certPem: string, bundle: readonly string[]): CertificateFolder {
  const cert = new X509Certificate(certPem);
  return {
    dir,
    dnsNames: dnsNamesOf(cert),
    servingNotAfter: new Date(cert.validTo),
    trusted: bundle.map((pem) => new X509Certificate(pem).subject),
  };
}

function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
}

/**
 * Unique per CA: during a CA rotation two CAs are trusted at once, and a verifier that picks the
 * issuer by name (OpenSSL does) must not find the wrong one.
 */
export const uniqueCaName = (namespace: string) =>
  `kube-hygiene CA ${namespace} ${new Date().toISOString().slice(0, 10)} ${randomBytes(4).toString('hex')}`;

/** PEM with LF line endings (forge writes CRLF): files diff cleanly and bundles compare equal. */
export const lf = (pem: string) => pem.replace(/\r\n/g, '\n');

export function generateWebhookCertificates(o: GenerateOptions): CertificateFolder {
  if (!o.force && existsSync(join(o.dir, FILES.caKey))) {
    throw new Error(
      `${join(o.dir, FILES.caKey)} exists: use rotate for a new serving certificate (or rotate --new-ca), ` +
        'or --force to replace the CA (the webhook configurations must then be re-applied at once)',
    );
  }
  const target = o.target ?? DEFAULT_TARGET;
  const keyType = o.keyType ?? KeyType.rsa2048;
  const ca = generateCa({
    commonName: uniqueCaName(target.namespace),
    validityDays: o.caValidityDays ?? 3650,
    keyType,
  });
  const serving = generateServingCertificate({
    ca,
    dnsNames: serviceDnsNames(target),
    commonName: `${target.service}.${target.namespace}.svc`,
    validityDays: o.validityDays ?? 365,
    keyType,
  });
  const secretName = o.secretName ?? DEFAULT_SECRET_NAME;
  return write(o.dir, { ca, bundle: [ca.certPem], serving, secretName, namespace: target.namespace });
}

function readText(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read ${join(dir, name)} (${(err as NodeJS.ErrnoException).code}): run certs-scripts/generate first, or pass the folder it wrote with --out`,
      { cause: err },
    );
  }
}

function readFolder(dir: string): Folder {
  const secret = parse(readText(dir, FILES.secret)) as { metadata?: { name?: string; namespace?: string } };
  const { name, namespace } = secret?.metadata ?? {};
  if (!name || !namespace) throw new Error(`${join(dir, FILES.secret)} has no metadata.name/namespace`);
  const folder = {
    ca: { certPem: readText(dir, FILES.ca), keyPem: readText(dir, FILES.caKey) },
    bundle: splitPemBundle(readText(dir, FILES.bundle)),
    serving: { certPem: readText(dir, FILES.cert), keyPem: readText(dir, FILES.key) },
    secretName: name,
    namespace,
  };
  const pems: [string, string, (pem: string) => unknown][] = [
    [FILES.ca, folder.ca.certPem, (pem) => new X509Certificate(pem)],
    [FILES.caKey, folder.ca.keyPem, createPrivateKey],
    [FILES.cert, folder.serving.certPem, (pem) => new X509Certificate(pem)],
    [FILES.key, folder.serving.keyPem, createPrivateKey],
  ];
  for (const [file, pem, read] of pems) {
    try {
      read(pem);
    } catch (err) {
      throw new Error(
        `${join(dir, file)} is not a readable PEM (${(err as Error).message}): restore it from a backup, or start over with generate --force and apply the overlay (the caBundle changes too)`,
        { cause: err },
      );
    }
  }
  if (folder.bundle.length === 0) throw new Error(`${join(dir, FILES.bundle)} holds no certificate`);
  return folder;
}

const keyTypeOf = (keyPem: string): KeyType =>
  createPrivateKey(keyPem).asymmetricKeyType === 'ec' ? KeyType.ecdsaP256 : KeyType.rsa2048;

const issuedBy = (certPem: string, caPem: string) => {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
};

export function rotateWebhookCertificates(o: RotateOptions): CertificateFolder {
  if (o.newCa && o.retireOldCa) throw new Error('--new-ca and --retire-old-ca are two steps: run them apart');
  const folder = readFolder(o.dir);
  const now = Date.now();
  if (o.newCa) {
    const ca = generateCa({
      commonName: uniqueCaName(folder.namespace),
      validityDays: o.caValidityDays ?? 3650,
      keyType: o.keyType ?? keyTypeOf(folder.ca.keyPem),
    });
    // Old CAs stay trusted until they expire or are retired: the serving certificate in use
    // keeps verifying while the new bundle reaches the API server.
    const stillValid = folder.bundle.filter((pem) => Date.parse(new X509Certificate(pem).validTo) > now);
    return write(o.dir, { ...folder, ca, bundle: [ca.certPem, ...stillValid] });
  }
  if (o.retireOldCa) {
    if (!issuedBy(folder.serving.certPem, folder.ca.certPem)) {
      throw new Error(
        'tls.crt is not issued by the current CA yet: run rotate (and apply it) before retiring the old CA',
      );
    }
    return write(o.dir, { ...folder, bundle: [folder.ca.certPem] });
  }
  const current = new X509Certificate(folder.serving.certPem);
  const serving = generateServingCertificate({
    ca: folder.ca,
    dnsNames: dnsNamesOf(current),
    commonName: current.subject.replace(/^CN=/, ''),
    validityDays: o.validityDays ?? 365,
    keyType: o.keyType ?? keyTypeOf(folder.serving.keyPem),
  });
  return write(o.dir, { ...folder, serving });
}
