// The serving certificate: read from --cert/--key, checked before use, swapped in without a
// restart when the files change. A new pair that is unreadable, mismatched or expired is
// refused with the reason logged, and the old pair keeps serving.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { watchFiles, type WatchOptions } from './watch-files.js';
import { refusedReload, type RefusedReload } from './refused-reload.js';

export interface ServingCertificate {
  readonly cert: string;
  readonly key: string;
  readonly notAfter: Date;
  readonly fingerprint: string;
  readonly subjectAltName: string;
}

/** Reads and checks a certificate/key pair; throws an Error saying what is wrong with it. */
export function loadCertificate(certFile: string, keyFile: string): ServingCertificate {
  return checkCertificate(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), {
    cert: certFile,
    key: keyFile,
  });
}

/** Checks a PEM pair before it serves; `from` names where each part came from, for the error. */
export function checkCertificate(
  cert: string,
  key: string,
  from: { readonly cert: string; readonly key: string },
): ServingCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${from.cert} is not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${from.key} is not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(
      `${from.key} does not belong to the certificate in ${from.cert} (a half-written rotation?)`,
    );
  }
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= Date.now()) throw new Error(`${from.cert} expired at ${notAfter.toISOString()}`);
  createSecureContext({ cert, key }); // what TLS itself would reject (unsupported key, bad chain)
  return { cert, key, notAfter, fingerprint: x509.fingerprint256, subjectAltName: x509.subjectAltName ?? '' };
}

export interface CertificateStore {
  current(): ServingCertificate;
  /** Called with every certificate that replaces the current one. */
  onChange(listener: (next: ServingCertificate) => void): void;
  /** The pair as it is now on disk, refused; undefined while it is the pair serving. */
  refused(): RefusedReload | undefined;
  close(): void;
}

export interface CertificateStoreOptions extends WatchOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

function logExpiry(logger: Logger, c: ServingCertificate, message: string) {
  const daysLeft = Math.floor((c.notAfter.getTime() - Date.now()) / 86_400_000);
  const fields = {
    notAfter: c.notAfter.toISOString(),
    daysLeft,
    fingerprint: c.fingerprint,
    san: c.subjectAltName,
  };
  // Two weeks is when the alert fires too: the log line says it first.
  if (daysLeft < 14) logger.warn(fields, `${message}; it expires in ${daysLeft} days: rotate it`);
  else logger.info(fields, message);
}

/** Loads the pair (throws if unusable: the server cannot start without one) and watches it. */
export function openCertificateStore(options: CertificateStoreOptions): CertificateStore {
  const { certFile, keyFile, logger, metrics } = options;
  let current = loadCertificate(certFile, keyFile);
  metrics.setCertificateNotAfter(current.notAfter);
  logExpiry(logger, current, 'serving certificate loaded');
  const listeners: ((next: ServingCertificate) => void)[] = [];
  let lastRefused = '';
  let refused: RefusedReload | undefined;

  const reload = () => {
    let next: ServingCertificate;
    try {
      next = loadCertificate(certFile, keyFile);
    } catch (err) {
      const reason = (err as Error).message;
      if (reason === lastRefused) return; // the same broken files, seen again by the poll
      lastRefused = reason;
      refused = refusedReload(`${certFile}, ${keyFile}`, reason);
      metrics.certificateReloads.inc({ result: 'refused' });
      metrics.certificateReloadFailed.set(1);
      logger.error(
        { certFile, keyFile, reason },
        'new serving certificate refused; the previous one keeps serving',
      );
      return;
    }
    lastRefused = '';
    if (refused) {
      refused = undefined;
      metrics.certificateReloadFailed.set(0);
    }
    if (next.cert === current.cert && next.key === current.key) return;
    current = next;
    metrics.setCertificateNotAfter(next.notAfter);
    metrics.certificateReloads.inc({ result: 'ok' });
    for (const listener of listeners) listener(next);
    logExpiry(logger, next, 'serving certificate reloaded');
  };
  const stop = watchFiles([certFile, keyFile], reload, options);
  return {
    current: () => current,
    onChange: (listener) => void listeners.push(listener),
    refused: () => refused,
    close: stop,
  };
}
