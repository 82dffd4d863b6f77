// The managed Secret's layout: what the writer stores reads back the same, an unfilled Secret is
// empty, and parts that do not belong together are refused with the reason.
import t from 'tap';
import { generateCa, generateServingCertificate } from '../../src/certs/generate.js';
import { applyStep, type IssueSettings } from '../../src/certs/managed-steps.js';
import { SECRET_KEYS, decodeSecret, encodeSecret } from '../../src/certs/managed-state.js';
import { StepKind } from '../../src/certs/renewal.js';

const settings: IssueSettings = {
  namespace: 'kube-hygiene',
  commonName: 'kube-hygiene.kube-hygiene.svc',
  dnsNames: ['kube-hygiene.kube-hygiene.svc'],
  ipAddresses: [],
  certValidityMs: 60_000,
  caValidityMs: 180_000,
};
const now = Date.now();
const state = applyStep(undefined, StepKind.create, settings, now);
const introduced = applyStep(state, StepKind.introduceCa, settings, now);
const b64 = (text: string) => Buffer.from(text).toString('base64');

t.test('what is written reads back the same', async (t) => {
  for (const s of [state, introduced]) {
    const decoded = decodeSecret(encodeSecret(s));
    if (decoded.kind !== 'ok') throw new Error(`not ok: ${JSON.stringify(decoded)}`);
    t.equal(decoded.state.serving.pem, s.serving.pem);
    t.equal(decoded.state.serving.keyPem, s.serving.keyPem);
    t.equal(decoded.state.signer.x509.fingerprint256, s.signer.x509.fingerprint256);
    t.equal(decoded.state.next?.x509.fingerprint256, s.next?.x509.fingerprint256);
    t.same(
      decoded.state.trusted.map((c) => c.x509.fingerprint256),
      s.trusted.map((c) => c.x509.fingerprint256),
    );
  }
  t.same(Object.keys(encodeSecret(introduced)).sort(), Object.values(SECRET_KEYS).sort());
});

t.test('a Secret never filled is empty', async (t) => {
  t.same(decodeSecret(undefined), { kind: 'empty' });
  t.same(decodeSecret({}), { kind: 'empty' });
});

t.test('parts that do not belong together are refused, with the reason', async (t) => {
  const data = encodeSecret(state);
  const other = generateCa({ commonName: 'other CA', keyType: 'ecdsa-p256' });
  const foreign = generateServingCertificate({ ca: other, dnsNames: ['x'], keyType: 'ecdsa-p256' });
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a key missing', { ...data, [SECRET_KEYS.key]: '' }, /no tls.key/],
    [
      'garbage',
      { ...data, [SECRET_KEYS.cert]: b64('not a certificate') },
      /tls.crt is not a PEM certificate/,
    ],
    [
      'a key from another pair',
      { ...data, [SECRET_KEYS.key]: b64(foreign.keyPem) },
      /tls.key does not belong/,
    ],
    [
      'a serving certificate no trusted CA issued',
      { ...data, [SECRET_KEYS.cert]: b64(foreign.certPem), [SECRET_KEYS.key]: b64(foreign.keyPem) },
      /tls.crt was not issued by a CA in ca.crt/,
    ],
    [
      'a signing CA outside the bundle',
      { ...data, [SECRET_KEYS.signerCert]: b64(other.certPem), [SECRET_KEYS.signerKey]: b64(other.keyPem) },
      /ca-signer.crt is not in ca.crt/,
    ],
    [
      'a leaf where the CA should be',
      {
        ...data,
        [SECRET_KEYS.signerCert]: data[SECRET_KEYS.cert]!,
        [SECRET_KEYS.signerKey]: data[SECRET_KEYS.key]!,
      },
      /ca-signer.crt is not a CA/,
    ],
    [
      'half a next CA',
      { ...data, [SECRET_KEYS.nextCert]: b64(other.certPem) },
      /ca-next.key is not a PEM private key/,
    ],
  ];
  for (const [what, broken, reason] of cases)
    t.match(decodeSecret(broken), { kind: 'broken', problem: reason }, what);
});
