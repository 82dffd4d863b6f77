// Properties of the decision function under hostile input: it never throws, every 200 answer is
// a valid v1 AdmissionReview for the request's uid within the API server's limits (warnings,
// a 4 KiB denial message, 8 KiB annotation values, a 1 MiB patch), every other
// answer is a 400 with a code, and nothing pollutes Object.prototype.
// CI runs a fixed seed; `npm run fuzz` runs 100,000 cases (FUZZ_RUNS, FUZZ_SEED to change).
import t from 'tap';
import fc from 'fast-check';
import { handleReview } from '../../src/admission/handle.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js';
import { hostileReview } from './mutate-review.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1_500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
// Exceptions that cover every object (one by image globs, one expired): their warnings and
// expired notes must keep answers within the same limits.
const EXCEPTIONS = `exceptions:
  - match: { namespaces: ["*"] }
    rules: [image-tag, node-arch]
    images: ["**/family-*:*", "**"]
    reason: every image, by glob
    owner: fuzz
    expires: 2999-12-31
  - match: { names: ["*"], kinds: [Pod, Deployment, CronJob] }
    rules: [image-registry, image-tag, image-pull-policy]
    reason: expired long ago
    owner: fuzz
    expires: 2000-01-01
`;
const policies = [
  loadPolicyFile(),
  parsePolicy('mode: audit\n', 'audit.yaml'),
  parsePolicy(EXCEPTIONS, 'exceptions.yaml'),
];
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
// Larger than any mutated recorded review: the large cases of the corpus.
const LARGE = 256 * 1024;

t.test(`hostile reviews (${RUNS} cases, seed ${SEED})`, async (t) => {
  let answered = 0;
  let refused = 0;
  let large = 0;
  await fc.assert(
    fc.asyncProperty(
      hostileReview,
      fc.nat(policies.length - 1),
      fc.constantFrom('validate', 'mutate' as const),
      async (text, p, endpoint) => {
        if (text.length > LARGE) large++;
        const body = JSON.parse(text);
        const outcome = await handleReview(body, endpoint, { policy: policies[p]! });
        if (!outcome.answered) {
          refused++;
          if (outcome.body.error.code !== 'KH_REVIEW_MALFORMED' || !outcome.body.error.message) return false;
          return true;
        }
        answered++;
        const out = JSON.parse(JSON.stringify(outcome.body));
        const r = out.response;
        if (out.apiVersion !== 'admission.k8s.io/v1' || out.kind !== 'AdmissionReview') return false;
        if (r.uid !== body.request.uid || typeof r.allowed !== 'boolean') return false;
        if (!r.allowed && (r.status?.code !== 403 || !r.status.message)) return false;
        if (r.allowed && r.status) return false;
        if (p === 1 && !r.allowed) return false; // audit mode never denies
        const warnings: string[] = r.warnings ?? [];
        // eslint-disable-next-line no-control-regex -- control characters are what is checked for
        if (warnings.some((w) => bytes(w) > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(w))) return false;
        if (warnings.reduce((n, w) => n + bytes(w), 0) > 4096) return false;
        for (const [key, value] of Object.entries<string>(r.auditAnnotations ?? {})) {
          if (key.length > 63 || key.includes('/') || bytes(value) > 8192) return false;
        }
        if (r.status && bytes(r.status.message) > 4096) return false;
        if (r.patch && Buffer.from(r.patch, 'base64').length > 1024 * 1024) return false;
        if (endpoint === 'validate' && r.patch) return false;
        return ({} as Record<string, unknown>).polluted === undefined;
      },
    ),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  t.ok(answered > RUNS / 10, `${answered} answered`);
  t.ok(refused > 0, `${refused} refused as malformed`);
  t.ok(large > 0, `${large} large reviews (thousands of containers, megabytes of keys)`);
});
