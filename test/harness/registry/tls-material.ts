// Certificates made at test time (never committed): a CA and a serving certificate for
// 127.0.0.1 and localhost signed by it, and a self-signed certificate for the token signer.
// Keys come from node:crypto (fast, native); node-forge only assembles the certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyAndCert {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface TlsMaterial {
  readonly ca: KeyAndCert;
  readonly server: KeyAndCert;
}

function rsaKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyPem,
    key: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    pub: forge.pki.publicKeyFromPem(pubPem),
  };
}

function certificate(
  subject: string,
  pub: forge.pki.PublicKey,
  issuer: { name: string; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.name }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export function makeTlsMaterial(): TlsMaterial {
  const caKeys = rsaKeys();
  const caName = `kube-hygiene test CA ${randomBytes(4).toString('hex')}`;
  const caCert = certificate(caName, caKeys.pub, { name: caName, key: caKeys.key }, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const serverKeys = rsaKeys();
  const serverCert = certificate('127.0.0.1', serverKeys.pub, { name: caName, key: caKeys.key }, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  return {
    ca: { keyPem: caKeys.keyPem, certPem: caCert },
    server: { keyPem: serverKeys.keyPem, certPem: serverCert },
  };
}

/** A self-signed certificate: distribution's token auth trusts signers listed in `rootcertbundle`. */
export function makeSigningCertificate(): KeyAndCert {
  const keys = rsaKeys();
  const name = 'kube-hygiene test token signer';
  const certPem = certificate(name, keys.pub, { name, key: keys.key }, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
  ]);
  return { keyPem: keys.keyPem, certPem };
}
