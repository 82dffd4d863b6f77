// What the API server accepts from a webhook: warnings without control characters, at most 256
// bytes each and 4 KiB in all; audit annotation keys of at most 63 characters without a slash.
import t from 'tap';
import {
  formatWarnings,
  respond,
  WARNING_MAX_BYTES,
  WARNINGS_TOTAL_MAX_BYTES,
} from '../../src/admission/respond.js';
import type { Finding } from '../../src/rules/rule.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const finding = (
  message: string,
  action: 'deny' | 'warn' = 'warn',
  rule: Finding['rule'] = 'image-tag',
): Finding => ({
  rule,
  action,
  message,
  path: '/spec/containers/0/image',
});

t.test('control characters never reach a warning', async (t) => {
  const [w] = formatWarnings([finding('line one\nline two\r\n\ttabbed\u0007bell\u0085next')]);
  t.equal(w, '[image-tag] line one line two tabbed bell next');
});

t.test('each warning fits in 256 bytes, cut on a character boundary', async (t) => {
  for (const filler of ['x', 'é', '漢', '🚀']) {
    const [w] = formatWarnings([finding(filler.repeat(400))]);
    t.ok(bytes(w!) <= WARNING_MAX_BYTES, `${filler}: ${bytes(w!)} bytes`);
    t.ok(w!.endsWith('…'), 'the cut is marked');
    t.notMatch(w!, /\uFFFD/, 'no broken character');
  }
  const [short] = formatWarnings([finding('short')]);
  t.equal(short, '[image-tag] short', 'short warnings are kept whole');
});

t.test('many warnings are summarised within 4 KiB', async (t) => {
  const many = Array.from({ length: 60 }, (_, i) => finding(`finding ${i} `.padEnd(200, '.')));
  const warnings = formatWarnings(many);
  const total = warnings.reduce((n, w) => n + bytes(w), 0);
  t.ok(total <= WARNINGS_TOTAL_MAX_BYTES, `${total} bytes in all`);
  const last = warnings.at(-1)!;
  const shown = warnings.length - 1;
  t.match(last, new RegExp(`^… and ${60 - shown} more findings`));
  t.ok(shown >= 15, `${shown} warnings shown before the summary`);
  t.equal(formatWarnings(many.slice(0, 5)).length, 5, 'a few fit without a summary');
});

t.test('a denial lists every deny finding; warnings carry the rest', async (t) => {
  const r = respond({
    uid: 'u',
    subject: { kind: 'Deployment', namespace: 'team', name: 'web' },
    findings: [
      finding('a', 'deny'),
      finding('b', 'warn', 'image-pull-policy'),
      finding('c', 'deny', 'image-registry'),
    ],
  });
  t.equal(r.allowed, false);
  t.same(r.status, {
    code: 403,
    reason: 'Forbidden',
    message: 'kube-hygiene denied Deployment team/web: 2 violations\n- [image-tag] a\n- [image-registry] c',
  });
  t.same(r.warnings, ['[image-pull-policy] b']);
});

t.test('audit annotations: one key per rule, compact JSON, valid keys', async (t) => {
  const r = respond({
    uid: 'u',
    subject: { kind: 'Pod', name: 'p' },
    findings: [finding('a'), finding('b'), finding('c', 'warn', 'image-registry')],
  });
  const keys = Object.keys(r.auditAnnotations ?? {});
  t.same(keys.sort(), ['image-registry', 'image-tag']);
  for (const key of keys) t.match(key, /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  const entries = JSON.parse(r.auditAnnotations!['image-tag']!);
  t.same(entries, [
    { action: 'warn', path: '/spec/containers/0/image', message: 'a' },
    { action: 'warn', path: '/spec/containers/0/image', message: 'b' },
  ]);
  t.notMatch(r.auditAnnotations!['image-tag'], /\n| {2}/, 'compact');
  const big = respond({
    uid: 'u',
    subject: { kind: 'Pod' },
    findings: Array.from({ length: 200 }, () => finding('m'.repeat(200))),
  });
  const value = big.auditAnnotations!['image-tag']!;
  t.ok(value.length <= 8192, 'annotation values are bounded');
  t.match(JSON.parse(value).at(-1), { more: Number });
});

t.test('a denial is told once: its message in the status, its place in the annotation', async (t) => {
  const r = respond({
    uid: 'u',
    subject: { kind: 'Pod', name: 'p' },
    findings: [finding('moves', 'deny'), finding('advice', 'warn')],
  });
  t.match(r.status?.message, /^- \[image-tag\] moves$/m);
  t.same(JSON.parse(r.auditAnnotations!['image-tag']!), [
    { action: 'deny', path: '/spec/containers/0/image' },
    { action: 'warn', path: '/spec/containers/0/image', message: 'advice' },
  ]);
  t.equal(JSON.stringify(r).split('moves').length - 1, 1, 'the denial text appears once in the answer');
});

t.test('a patch is only sent with an allowed answer', async (t) => {
  const allowed = respond({ uid: 'u', subject: { kind: 'Pod' }, findings: [], patch: 'W10=' });
  t.same(allowed, { uid: 'u', allowed: true, patch: 'W10=', patchType: 'JSONPatch' });
  const denied = respond({
    uid: 'u',
    subject: { kind: 'Pod' },
    findings: [finding('x', 'deny')],
    patch: 'W10=',
  });
  t.notOk(denied.patch);
});

t.test('a finding quoting megabytes of user input stays small in every part of the answer', async (t) => {
  const huge = finding('x'.repeat(1_000_000), 'deny');
  const r = respond({
    uid: 'u',
    subject: { kind: 'Pod', name: 'p' },
    findings: [huge, { ...huge, action: 'warn' }],
  });
  t.ok(Buffer.byteLength(JSON.stringify(r)) < 16 * 1024, `${Buffer.byteLength(JSON.stringify(r))} bytes`);
  t.match(r.status?.message, /…$/);
});
