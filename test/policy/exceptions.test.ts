// `exceptions:` in policy files: every mistake named with file:line:col like the rest of the
// policy, dates that the calendar has, and rule ids the policy knows.
import t from 'tap';
import { parsePolicy } from '../../src/policy/load.js';
import { endOfDay } from '../../src/policy/exceptions.js';
import { HygieneError } from '../../src/errors.js';

function details(text: string): readonly string[] {
  try {
    parsePolicy(text, 'team.yaml');
  } catch (err) {
    if (err instanceof HygieneError) return err.details;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

const valid = [
  'exceptions:',
  '  - match: { namespaces: [legacy-*], kinds: [Deployment], names: [billing] }',
  '    rules: [image-tag]',
  '    images: ["ghcr.io/acme/**"]',
  '    reason: rebuilt with pinned tags in OPS-123',
  '    owner: team-billing',
  '    expires: 2026-12-31',
  '',
].join('\n');

t.test('a complete exception is accepted and compiled', async (t) => {
  const policy = parsePolicy(valid, 'team.yaml');
  t.equal(policy.exceptions.length, 1);
  const [e] = policy.exceptions;
  t.match(e, { number: 1, owner: 'team-billing', expires: '2026-12-31', endsAt: Date.UTC(2027, 0, 1) });
  t.ok(e!.matchesObject('legacy-eu', 'Deployment', 'billing'));
  t.notOk(e!.matchesObject('prod', 'Deployment', 'billing'), 'namespace glob');
  t.notOk(e!.matchesObject('legacy-eu', 'StatefulSet', 'billing'), 'kind');
  t.notOk(e!.matchesObject('legacy-eu', 'Deployment', 'billing-2'), 'name glob');
  t.same(parsePolicy('', 'empty.yaml').exceptions, [], 'no exceptions by default');
});

t.test('each mistake in an exception is named with its position', async (t) => {
  const text = [
    'exceptions:',
    '  - match: {}',
    '    rules: [image-tags]',
    '    reason: legacy',
    '    owner: team-a',
    '    expires: 2026-02-30',
    '  - match: { kinds: [deployment] }',
    '    rules: []',
    '    owner: ""',
    '    expires: 31.12.2026',
    '    until: 2027-01-01',
    '',
  ].join('\n');
  t.same(details(text), [
    'team.yaml:2:12: exceptions[0].match: must give at least one of namespaces, kinds, names',
    'team.yaml:3:13: exceptions[0].rules[0]: must be one of image-registry, image-tag, image-pull-policy, pod-identity-env, hpa-target, node-arch, image-exists, image-digest, resource-requests',
    'team.yaml:6:14: exceptions[0].expires: must be a date YYYY-MM-DD that the calendar has',
    'team.yaml:7:5: exceptions[1].reason: is required',
    'team.yaml:11:5: exceptions[1].until: unknown key "until"',
    'team.yaml:7:22: exceptions[1].match.kinds[0]: must be a kind as manifests spell it (Deployment, CronJob)',
    'team.yaml:8:12: exceptions[1].rules: must NOT have fewer than 1 items',
    'team.yaml:9:12: exceptions[1].owner: must NOT have fewer than 1 characters',
    'team.yaml:10:14: exceptions[1].expires: must be a date YYYY-MM-DD that the calendar has',
  ]);
});

t.test('expires is a calendar day, ending at the end of that day UTC', async (t) => {
  t.equal(endOfDay('2026-11-30'), Date.parse('2026-12-01T00:00:00Z'));
  t.equal(endOfDay('2028-02-29'), Date.parse('2028-03-01T00:00:00Z'), 'a leap day');
  for (const bad of ['2026-02-29', '2026-13-01', '2026-04-31', '2026-1-05', '2026-11-30T12:00:00Z']) {
    t.ok(Number.isNaN(endOfDay(bad)), `${bad} is not a day`);
  }
});

t.test('a reason too long to lead a warning is refused', async (t) => {
  const long = valid.replace('rebuilt with pinned tags in OPS-123', 'x'.repeat(121));
  t.same(details(long), ['team.yaml:5:13: exceptions[0].reason: must NOT have more than 120 characters']);
});

t.test('reason and owner are one line each: they are quoted in warnings and denials', async (t) => {
  const broken = valid
    .replace('reason: rebuilt with pinned tags in OPS-123', 'reason: "rebuilt\\nwith pinned tags"')
    .replace('owner: team-billing', 'owner: "team\\tbilling"');
  t.same(details(broken), [
    'team.yaml:5:13: exceptions[0].reason: must be one line saying why (at most 120 characters): it is quoted in every warning',
    'team.yaml:6:12: exceptions[0].owner: must be one line naming who renews or removes it (a team, an address)',
  ]);
});
