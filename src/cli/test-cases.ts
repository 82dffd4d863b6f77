// `kube-hygiene test [PATH…]`: runs policy test cases (`*.test.yaml`) and prints a pass/fail table.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { expandPaths, type ReadProblem } from './documents.js';
import { runSuite, type CaseResult } from '../policy/test-suite.js';
import { ErrorCode, HygieneError } from '../errors.js';

export const HELP = `usage: kube-hygiene test [PATH…]

Runs policy test cases: every *.test.yaml under each PATH (default: the current directory).
A test file names a policy (inline, or a file path relative to it; default: the embedded
default policy) and cases, each an object with the verdict it should get:

  policy: ../my-policy.yaml
  cases:
    - name: latest is refused
      object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [ … ] } }
      expect: { allowed: false, deny: [image-tag] }

exit codes: 0 every case passed, 1 a case failed, 2 bad usage or an unreadable test file`;

const SUITE_FILE = /\.test\.ya?ml$/i;

export async function testCases(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const problems: ReadProblem[] = [];
  const files = expandPaths(positionals.length ? positionals : ['.'], problems, SUITE_FILE);
  if (files.length === 0 && problems.length === 0) {
    throw new HygieneError(ErrorCode.USAGE, `no *.test.yaml files under ${positionals.join(', ') || '.'}`);
  }
  const results: CaseResult[] = [];
  for (const file of files) {
    try {
      results.push(...(await runSuite(parse(readFileSync(file, 'utf8'), { uniqueKeys: true }), file)));
    } catch (err) {
      if (!(err instanceof HygieneError) && !(err instanceof Error && err.name === 'YAMLParseError'))
        throw err;
      problems.push({ source: file, message: err.message });
    }
  }
  for (const r of results) {
    process.stdout.write(`${r.failures.length ? 'FAIL' : 'PASS'}  ${r.file}  ${r.name}\n`);
    for (const f of r.failures) process.stdout.write(`        ${f}\n`);
  }
  for (const p of problems) process.stdout.write(`ERROR ${p.source}  ${p.message}\n`);
  const failed = results.filter((r) => r.failures.length).length;
  process.stdout.write(`\npolicy cases: ${results.length - failed} passed, ${failed} failed\n`);
  if (problems.length) return 2;
  return failed ? 1 : 0;
}
