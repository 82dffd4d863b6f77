// `kube-hygiene test [PATH…]`: runs policy test cases (`*.test.yaml`) and prints a pass/fail table.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { expandPaths, type ReadProblem } from './documents.js';
import { runSuite, type CaseResult } from './test-suite.js';
import { ErrorCode, HygieneError } from '../errors.js';
import { testCasesJunit } from './junit.js';

export const HELP = `usage: kube-hygiene test [options] [PATH…]

Runs policy test cases: every *.test.yaml under each PATH (default: the current directory).
A test file names a policy (inline, or a file path relative to it; default: the embedded
default policy) and cases, each an object with the verdict it should get:

  policy: ../my-policy.yaml
  cases:
    - name: latest is refused
      object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [ … ] } }
      expect: { allowed: false, deny: [image-tag] }

options:
  -o, --output FORMAT  text (default), json, or junit (JUnit XML for CI test reports)
  -h, --help

exit codes: 0 every case passed, 1 a case failed, 2 bad usage or an unreadable test file`;

const SUITE_FILE = /\.test\.ya?ml$/i;
const OUTPUTS = ['text', 'json', 'junit'] as const;

function casesText(results: readonly CaseResult[], problems: readonly ReadProblem[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.failures.length ? 'FAIL' : 'PASS'}  ${r.file}  ${r.name}`);
    for (const f of r.failures) out.push(`        ${f}`);
  }
  for (const p of problems) out.push(`ERROR ${p.source}  ${p.message}`);
  const failed = results.filter((r) => r.failures.length).length;
  out.push('', `policy cases: ${results.length - failed} passed, ${failed} failed`);
  return out.join('\n') + '\n';
}

function casesJson(results: readonly CaseResult[], problems: readonly ReadProblem[]) {
  const failed = results.filter((r) => r.failures.length).length;
  return {
    cases: results.map((r) => ({ ...r, passed: r.failures.length === 0 })),
    errors: problems,
    summary: { cases: results.length, passed: results.length - failed, failed, errors: problems.length },
  };
}

export async function testCases(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const output = values.output as (typeof OUTPUTS)[number];
  if (!OUTPUTS.includes(output))
    throw new HygieneError(ErrorCode.USAGE, `--output must be one of ${OUTPUTS.join(', ')}, got "${output}"`);
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
  const failed = results.filter((r) => r.failures.length).length;
  if (output === 'json') process.stdout.write(JSON.stringify(casesJson(results, problems), null, 2) + '\n');
  else if (output === 'junit') process.stdout.write(testCasesJunit(results, problems));
  else process.stdout.write(casesText(results, problems));
  if (problems.length) return 2;
  return failed ? 1 : 0;
}
