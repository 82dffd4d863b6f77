// kustomize reads no file outside its root, so deploy/ carries copies of policies/default.yaml:
// the base one identical, the audit component's differing in the mode line only. Each copy must
// also load as a valid policy. `npm run generate` writes them.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../../src/policy/load.js';
import { REPO } from '../harness/server-process.js';

const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const source = read('policies/default.yaml');
const FIX = 'run `npm run generate`: it writes policies/default.yaml and its copies';

t.test('deploy/base/policy.yaml is policies/default.yaml', async (t) => {
  t.equal(read('deploy/base/policy.yaml'), source, FIX);
  t.equal(parsePolicy(source, 'default').policy.mode, 'enforce');
});

t.test('deploy/components/audit/policy.yaml differs from it in `mode: audit` only', async (t) => {
  const audit = read('deploy/components/audit/policy.yaml');
  const differing = source
    .split('\n')
    .map((line, i) => [line, audit.split('\n')[i]])
    .filter(([a, b]) => a !== b);
  t.same(differing, [['mode: enforce', 'mode: audit']], FIX);
  t.equal(audit.split('\n').length, source.split('\n').length, FIX);
  t.equal(parsePolicy(audit, 'audit copy').policy.mode, 'audit');
});
