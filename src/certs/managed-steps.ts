// Carrying out a renewal step: the keys and certificates it needs, and the state it leaves. The
// only impure part of the schedule (keys are random); src/certs/renewal.ts decides what to do.
import { KeyType, generateCa, generateServingCertificate } from './generate.js';
import { keyPair, type KeyPair, type ManagedState } from './managed-state.js';
import { StepKind, lifetimeOf, type Names } from './renewal.js';
import { uniqueCaName } from './webhook-certs.js';
import { CLOCK_SKEW_MS } from './x509.js';

export interface IssueSettings extends Names {
  /** Where the server runs: part of the CA's name. */
  readonly namespace: string;
  readonly commonName: string;
  readonly certValidityMs: number;
  readonly caValidityMs: number;
}

const DAY_MS = 86_400_000;

function newCa(settings: IssueSettings, now: number): KeyPair {
  const ca = generateCa({
    commonName: uniqueCaName(settings.namespace),
    validityDays: settings.caValidityMs / DAY_MS,
    keyType: KeyType.ecdsaP256,
    notBefore: new Date(now - CLOCK_SKEW_MS),
  });
  return keyPair(ca.certPem, ca.keyPem);
}

/** A serving certificate from `ca`, ending no later than `ca` does. */
function issue(ca: KeyPair, settings: IssueSettings, now: number): KeyPair {
  const left = lifetimeOf(ca).notAfter - now;
  if (left <= 1000) throw new Error('the signing CA has expired: nothing can be issued from it');
  const serving = generateServingCertificate({
    ca: { certPem: ca.pem, keyPem: ca.keyPem },
    dnsNames: settings.dnsNames,
    ipAddresses: settings.ipAddresses,
    commonName: settings.commonName,
    validityDays: Math.min(settings.certValidityMs, left) / DAY_MS,
    keyType: KeyType.ecdsaP256,
    notBefore: new Date(now - CLOCK_SKEW_MS),
  });
  return keyPair(serving.certPem, serving.keyPem);
}

/** The state after `kind`; expired CAs leave the bundle on every step. */
export function applyStep(
  current: ManagedState | undefined,
  kind: StepKind,
  settings: IssueSettings,
  now: number,
): ManagedState {
  let state: ManagedState;
  if (kind === StepKind.create || !current) {
    const ca = newCa(settings, now);
    state = { signer: ca, trusted: [ca], serving: issue(ca, settings, now) };
  } else if (kind === StepKind.introduceCa) {
    const next = newCa(settings, now);
    state = { ...current, next, trusted: [next, ...current.trusted] };
  } else if (kind === StepKind.promoteCa && current.next) {
    const { next, ...rest } = current;
    state = { ...rest, signer: next, serving: issue(next, settings, now) };
  } else if (kind === StepKind.reissue) {
    state = { ...current, serving: issue(current.signer, settings, now) };
  } else {
    state = current;
  }
  const keep = new Set([state.signer.x509.fingerprint256, state.next?.x509.fingerprint256]);
  const trusted = state.trusted.filter(
    (c) => keep.has(c.x509.fingerprint256) || lifetimeOf(c).notAfter > now,
  );
  return { ...state, trusted };
}
