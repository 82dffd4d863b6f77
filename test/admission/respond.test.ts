// What the API server accepts from a webhook: warnings without control characters, at most 256
// bytes each and 4 KiB in all; audit annotation keys of at most 63 characters without a slash;
// and answers that stay small, built with work that does not grow with the findings past the caps.
import t from 'tap';
import {
  ANNOTATION_VALUE_MAX_BYTES,
  DENIAL_MAX_BYTES,
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

/** Findings that count how often their text is read: the work an answer does per finding. */
function counted(n: number, action: 'deny' | 'warn', message = 'image "ghcr.io/acme/app:latest" moves') {
  const reads = { count: 0 };
  const findings = Array.from({ length: n }, (_, i): Finding => ({
    rule: 'image-tag',
    action,
    get message() {
      reads.count++;
      return `${message} (${i})`;
    },
    get path() {
      reads.count++;
      return `/spec/template/spec/containers/${i}/image`;
    },
  }));
  return { findings, reads };
}

const subject = { kind: 'Deployment', namespace: 'team', name: 'big' };

t.test(
  'a denial of thousands of violations is one message of at most 4 KiB ending "and N more"',
  async (t) => {
    for (const n of [500, 5_000, 20_000]) {
      const { findings } = counted(n, 'deny');
      const message = respond({ uid: 'u', subject, findings }).status!.message;
      t.ok(bytes(message) <= DENIAL_MAX_BYTES, `${n}: ${bytes(message)} bytes`);
      const lines = message.split('\n');
      t.equal(lines[0], `kube-hygiene denied Deployment team/big: ${n} violations`);
      const shown = lines.slice(1, -1);
      t.ok(shown.length >= 10, `${shown.length} violations listed`);
      t.ok(shown.every((line, i) => line.startsWith(`- [image-tag] image`) && line.endsWith(`(${i})`)));
      t.equal(
        lines.at(-1),
        `- … and ${n - shown.length} more violations: run kube-hygiene check on the manifest to see them all`,
      );
    }
    const few = respond({ uid: 'u', subject, findings: counted(3, 'deny').findings }).status!.message;
    t.notMatch(few, /more violations/, 'a short list is given whole');
  },
);

t.test('the denial message stays within 4 KiB in bytes whatever the characters', async (t) => {
  for (const filler of ['x', 'é', '漢', '🚀']) {
    const findings = Array.from({ length: 50 }, () => finding(filler.repeat(2_000), 'deny'));
    const message = respond({ uid: 'u', subject, findings }).status!.message;
    t.ok(bytes(message) <= DENIAL_MAX_BYTES, `${filler}: ${bytes(message)} bytes`);
    t.notMatch(message, /\uFFFD/, 'no broken character');
    t.match(message, /more violations/);
  }
  const long = respond({
    uid: 'u',
    subject: { kind: 'Pod', name: 'n'.repeat(100_000) },
    findings: [finding('x', 'deny')],
  });
  t.ok(bytes(long.status!.message) <= DENIAL_MAX_BYTES, 'a huge name is cut too');
});

t.test('annotation values are at most 8 KiB in bytes, not characters', async (t) => {
  // 8,192 characters of 漢 are 24 KiB; control characters are escaped to six bytes each.
  for (const filler of ['m', '漢', '🚀', '\u0001', '"', '\\']) {
    const findings = Array.from({ length: 300 }, () => finding(filler.repeat(700)));
    const value = respond({ uid: 'u', subject, findings }).auditAnnotations!['image-tag']!;
    t.ok(bytes(value) <= ANNOTATION_VALUE_MAX_BYTES, `${JSON.stringify(filler)}: ${bytes(value)} bytes`);
    const entries = JSON.parse(value) as { message?: string; more?: number }[];
    const more = entries.at(-1)!.more!;
    t.equal(entries.length - 1 + more, 300, 'shown + more = all findings');
  }
  // One finding whose message escapes to far more than 8 KiB still gives a valid, bounded value.
  const single = respond({ uid: 'u', subject, findings: [finding('\u0001'.repeat(100_000))] });
  const value = single.auditAnnotations!['image-tag']!;
  t.ok(bytes(value) <= ANNOTATION_VALUE_MAX_BYTES, `${bytes(value)} bytes`);
  const message = (JSON.parse(value) as { message: string }[])[0]!.message;
  t.ok(
    message.endsWith('…') &&
      message
        .slice(0, -1)
        .split('')
        .every((c) => c === '\u0001'),
    'a cut prefix',
  );
});

t.test('the work of an answer is bounded: findings past the caps are counted, never formatted', async (t) => {
  const readsFor = (n: number, action: 'deny' | 'warn') => {
    const { findings, reads } = counted(n, action);
    const r = respond({ uid: 'u', subject, findings });
    t.ok(bytes(JSON.stringify(r)) < 20 * 1024, `${n} ${action}: answer ${bytes(JSON.stringify(r))} bytes`);
    return reads.count;
  };
  for (const action of ['deny', 'warn'] as const) {
    const small = readsFor(1_000, action);
    const large = readsFor(100_000, action);
    t.equal(large, small, `${action}: ${small} reads for 1,000 findings and for 100,000`);
    t.ok(small < 1_000, `${action}: ${small} reads`);
  }
});
