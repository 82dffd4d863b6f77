// The X.509 structure of the certificates, written with node-forge's ASN.1; the key and the
// signature come from Node's crypto (forge signs with RSA only). One function builds and signs
// a certificate; the rest are the pieces RFC 5280 asks for.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

const { pki, asn1 } = forge;
export type Asn1 = forge.asn1.Asn1;
// Public in node-forge, missing from its type definitions.
const extensionsToAsn1 = (pki as unknown as { certificateExtensionsToAsn1(exts: unknown[]): Asn1 })
  .certificateExtensionsToAsn1;

const DAY_MS = 86_400_000;
export const CLOCK_SKEW_MS = 5 * 60_000;
const OID = { sha256WithRSA: '1.2.840.113549.1.1.11', ecdsaWithSHA256: '1.2.840.10045.4.3.2' } as const;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;

export const KeyType = { rsa2048: 'rsa-2048', ecdsaP256: 'ecdsa-p256' } as const;
export type KeyType = (typeof KeyType)[keyof typeof KeyType];

export function newKeyPair(type: KeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === 'ecdsa-p256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** SubjectPublicKeyInfo of a Node key, as forge ASN.1. */
export function spki(publicKey: KeyObject): Asn1 {
  return asn1.fromDer(publicKey.export({ type: 'spki', format: 'der' }).toString('binary'));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(info: Asn1): string {
  const bits = (info.value as Asn1[])[1]!.value as string; // first byte: unused-bit count
  return createHash('sha1')
    .update(Buffer.from(bits.slice(1), 'binary'))
    .digest('binary');
}

/** AlgorithmIdentifier: RSA carries NULL parameters, ECDSA none (RFC 4055, RFC 5758). */
function signatureAlgorithm(signer: KeyObject): Asn1 {
  const ec = signer.asymmetricKeyType === 'ec';
  const oid = asn1.create(
    UNIVERSAL,
    T.OID,
    false,
    asn1.oidToDer(ec ? OID.ecdsaWithSHA256 : OID.sha256WithRSA).getBytes(),
  );
  return asn1.create(
    UNIVERSAL,
    T.SEQUENCE,
    true,
    ec ? [oid] : [oid, asn1.create(UNIVERSAL, T.NULL, false, '')],
  );
}

function time(date: Date): Asn1 {
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return date.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function serialNumber(): string {
  // 16 random bytes with the top bit cleared: positive, unique, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('binary');
}

export interface Draft {
  /** Names as encoded ASN.1: the issuer is copied byte for byte from the CA's subject. */
  readonly subject: Asn1;
  readonly issuer: Asn1;
  readonly publicKey: Asn1;
  readonly extensions: object[];
  readonly notBefore: Date;
  readonly validityDays: number;
  readonly signer: KeyObject;
}

export function build(d: Draft): { certPem: string; notAfter: Date } {
  // X.509 times have whole seconds: round here so the notAfter returned is the one encoded.
  const whole = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  const notBefore = whole(d.notBefore.getTime());
  const notAfter = whole(d.notBefore.getTime() + CLOCK_SKEW_MS + d.validityDays * DAY_MS);
  // forge encodes each extension's value; the certificate object only carries them.
  const holder = pki.createCertificate();
  holder.setExtensions(d.extensions);
  const algorithm = signatureAlgorithm(d.signer);
  const tbs = asn1.create(UNIVERSAL, T.SEQUENCE, true, [
    asn1.create(CONTEXT_SPECIFIC, 0, true, [
      asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(2).getBytes()),
    ]),
    asn1.create(UNIVERSAL, T.INTEGER, false, serialNumber()),
    algorithm,
    d.issuer,
    asn1.create(UNIVERSAL, T.SEQUENCE, true, [time(notBefore), time(notAfter)]),
    d.subject,
    d.publicKey,
    extensionsToAsn1(holder.extensions),
  ]);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, d.signer); // RSA: PKCS#1 v1.5; EC: DER (r, s), as X.509 wants
  const certificate = asn1.create(UNIVERSAL, T.SEQUENCE, true, [
    tbs,
    signatureAlgorithm(d.signer),
    asn1.create(UNIVERSAL, T.BITSTRING, false, '\u0000' + signature.toString('binary')),
  ]);
  const der = asn1.toDer(certificate).getBytes();
  return { certPem: forge.pem.encode({ type: 'CERTIFICATE', body: der }), notAfter };
}

export const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export function nameOf(commonName: string): Asn1 {
  const holder = pki.createCertificate();
  holder.setSubject([{ name: 'commonName', value: commonName }]);
  return pki.distinguishedNameToAsn1(holder.subject);
}

/** The CA's subject Name and SubjectPublicKeyInfo, read from its DER whatever its key type. */
export function readCa(certPem: string): { subject: Asn1; publicKey: Asn1 } {
  const der = forge.pem.decode(certPem)[0];
  if (der?.type !== 'CERTIFICATE') throw new Error('the CA certificate is not a PEM CERTIFICATE');
  const tbs = (asn1.fromDer(der.body).value as Asn1[])[0]!.value as Asn1[];
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, …
  return { subject: tbs[5]!, publicKey: tbs[6]! };
}

/** subjectKeyIdentifier with its value computed from the key (forge would need an RSA key). */
export function subjectKeyIdExtension(publicKey: Asn1) {
  return {
    name: 'subjectKeyIdentifier',
    value: asn1.create(UNIVERSAL, T.OCTETSTRING, false, keyIdentifier(publicKey)),
  };
}

/** authorityKeyIdentifier naming the issuer's key, so clients pick the right CA in a rotated bundle. */
export function authorityKeyIdExtension(issuerPublicKey: Asn1) {
  const id = asn1.create(CONTEXT_SPECIFIC, 0, false, keyIdentifier(issuerPublicKey));
  return { name: 'authorityKeyIdentifier', value: asn1.create(UNIVERSAL, T.SEQUENCE, true, [id]) };
}
