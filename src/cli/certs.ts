// `kube-hygiene certs generate|rotate`: the certificates a cluster install needs, written into a
// folder that deploy/ overlays include as a kustomize Component (certs-scripts/ call this).
import { parseArgs } from 'node:util';
import { KeyType } from '../certs/generate.js';
import {
  generateWebhookCertificates,
  rotateWebhookCertificates,
  type CertificateFolder,
} from '../certs/webhook-certs.js';
import { DEFAULT_SECRET_NAME, DEFAULT_TARGET } from '../certs/webhook-files.js';
import { ErrorCode, HygieneError } from '../errors.js';

const DEFAULT_DIR = 'deploy/certs';

export const HELP = `usage: kube-hygiene certs generate [options]
       kube-hygiene certs rotate [options]

generate: a CA and a serving certificate for the webhook Service, with the SANs
  <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local. Writes into --out:
  ca.crt, ca.key, ca-bundle.crt, tls.crt, tls.key (keys 0600), secret.yaml (kubernetes.io/tls),
  ca-bundle-patch.yaml (caBundle of both webhook configurations) and kustomization.yaml (a
  kustomize Component that also mounts the Secret; the provided-certificates overlay includes it).
  --out DIR            folder to write (default ${DEFAULT_DIR})
  --service NAME       Service name (default ${DEFAULT_TARGET.service})
  --namespace NS       namespace (default ${DEFAULT_TARGET.namespace})
  --secret NAME        Secret name (default ${DEFAULT_SECRET_NAME})
  --days N             serving certificate validity in days (default 365)
  --ca-days N          CA validity in days (default 3650)
  --key-type TYPE      ${Object.values(KeyType).join(' | ')} (default rsa-2048)
  --force              replace an existing CA

rotate: a new serving certificate from the same CA, for the same names; the server reloads it
  without a restart once the Secret is applied. A CA rotation is three steps, each applied
  before the next, so no webhook call fails:
  --new-ca             1. a new CA, trusted next to the old one (ca-bundle.crt holds both)
  (no flag)            2. a new serving certificate, now from the new CA
  --retire-old-ca      3. trust the new CA only
  --out DIR, --days N, --ca-days N, --key-type TYPE as above (default: the current key type)

Then: kubectl apply -k deploy/overlays/provided-certificates`;

const OPTIONS = {
  out: { type: 'string' },
  service: { type: 'string' },
  namespace: { type: 'string' },
  secret: { type: 'string' },
  days: { type: 'string' },
  'ca-days': { type: 'string' },
  'key-type': { type: 'string' },
  force: { type: 'boolean' },
  'new-ca': { type: 'boolean' },
  'retire-old-ca': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function days(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 36500)
    throw new HygieneError(
      ErrorCode.USAGE,
      `--${flag} must be a whole number of days from 1 to 36500, got "${text}"`,
    );
  return n;
}

function keyType(text: string | undefined): KeyType | undefined {
  if (text === undefined) return undefined;
  const types: readonly string[] = Object.values(KeyType);
  if (!types.includes(text))
    throw new HygieneError(ErrorCode.USAGE, `--key-type must be ${types.join(' or ')}, got "${text}"`);
  return text as KeyType;
}

function name(flag: string, text: string | undefined, fallback: string): string {
  const value = text ?? fallback;
  if (!DNS_LABEL.test(value))
    throw new HygieneError(ErrorCode.USAGE, `--${flag} must be a DNS label (a-z, 0-9, -), got "${value}"`);
  return value;
}

function report(verb: string, f: CertificateFolder): string {
  return [
    `${verb} ${f.dir}/: serving certificate for ${f.dnsNames.join(', ')}`,
    `  valid until ${f.servingNotAfter.toISOString()}`,
    `  trusted CAs (ca-bundle.crt): ${f.trusted.join('; ')}`,
  ].join('\n');
}

export async function certs(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: OPTIONS, strict: true }));
  } catch (err) {
    // commands.ts shortens Node's message to one line and adds the usage.
    throw new HygieneError(ErrorCode.USAGE, (err as Error).message);
  }
  if (values.help || action === '--help' || action === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const dir = values.out ?? DEFAULT_DIR;
  const common = {
    dir,
    validityDays: days('days', values.days),
    caValidityDays: days('ca-days', values['ca-days']),
  };
  try {
    if (action === 'generate') {
      const folder = generateWebhookCertificates({
        ...common,
        keyType: keyType(values['key-type']) ?? KeyType.rsa2048,
        target: {
          service: name('service', values.service, DEFAULT_TARGET.service),
          namespace: name('namespace', values.namespace, DEFAULT_TARGET.namespace),
        },
        secretName: name('secret', values.secret, DEFAULT_SECRET_NAME),
        force: values.force === true,
      });
      process.stdout.write(
        report('wrote', folder) + '\nnext: kubectl apply -k deploy/overlays/provided-certificates\n',
      );
      return 0;
    }
    if (action === 'rotate') {
      const folder = rotateWebhookCertificates({
        ...common,
        keyType: keyType(values['key-type']),
        newCa: values['new-ca'] === true,
        retireOldCa: values['retire-old-ca'] === true,
      });
      const next = values['new-ca']
        ? 'next: apply the overlay, then run rotate again to issue the serving certificate from the new CA'
        : 'next: apply the overlay; the server picks the new files up without a restart';
      process.stdout.write(report('rotated', folder) + `\n${next}\n`);
      return 0;
    }
  } catch (err) {
    if (err instanceof HygieneError) throw err;
    throw new HygieneError(ErrorCode.USAGE, (err as Error).message);
  }
  throw new HygieneError(ErrorCode.USAGE, `expected generate or rotate, got "${action ?? ''}"`);
}
