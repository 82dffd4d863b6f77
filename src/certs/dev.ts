// The development certificate `npm start` serves with: a local CA and a certificate for
// localhost, written once into a git-ignored folder and reused while it is valid, so a curl
// pinned to the CA keeps working across restarts.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCa, generateServingCertificate } from './generate.js';

export interface DevCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** False when the files were already there and still valid. */
  readonly generated: boolean;
}

const RENEW_BEFORE_MS = 7 * 86_400_000;

function stillValid(certFile: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

export function ensureDevCertificates(dir: string): DevCertificates {
  const files = {
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
  };
  const present = Object.values(files).every((f) => existsSync(f));
  const result = { dir, caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile };
  if (present && stillValid(files.certFile) && stillValid(files.caFile))
    return { ...result, generated: false };

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = generateCa({ commonName: 'kube-hygiene development CA', validityDays: 3650 });
  const serving = generateServingCertificate({
    ca,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    validityDays: 365,
  });
  writeFileSync(files.caFile, ca.certPem);
  writeFileSync(files.caKeyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(files.keyFile, serving.keyPem, { mode: 0o600 });
  writeFileSync(files.certFile, serving.certPem);
  return { ...result, generated: true };
}
