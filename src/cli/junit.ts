// JUnit XML for CI test tabs (the Ant/Jenkins shape GitHub, GitLab and Jenkins read).
// `check`: one testsuite per file (or Helm template), one testcase per object, named
// kind/namespace and object name; denials are its failure, warnings its system-out unless
// warnings fail the run; input errors are testcases with an error. `test`: one testcase per
// policy case, its differences as the failure.
import type { CaseResult } from './test-suite.js';
import type { ReadProblem } from './documents.js';
import type { CheckFinding, CheckReport, CheckResult } from './check-output.js';
import { findingLocation, resultFile } from './check-locations.js';
import { element, openTag, xmlText, XML_DECLARATION, type Attributes } from './xml.js';

interface TestCase {
  readonly attributes: Attributes;
  readonly failure?: { message: string; type: string; body: string };
  readonly error?: { message: string; body: string };
  readonly output?: string;
}

function testcase(c: TestCase): string {
  const children = [
    ...(c.failure
      ? [element('failure', { message: c.failure.message, type: c.failure.type }, [xmlText(c.failure.body)])]
      : []),
    ...(c.error ? [element('error', { message: c.error.message }, [xmlText(c.error.body)])] : []),
    ...(c.output ? [element('system-out', {}, [xmlText(c.output)])] : []),
  ];
  return `    ${element('testcase', c.attributes, children)}`;
}

function suites(title: string, groups: ReadonlyMap<string, readonly TestCase[]>): string {
  const count = (cases: readonly TestCase[], key: 'failure' | 'error') => cases.filter((c) => c[key]).length;
  const all = [...groups.values()].flat();
  const totals = {
    name: title,
    tests: all.length,
    failures: count(all, 'failure'),
    errors: count(all, 'error'),
  };
  const lines = [XML_DECLARATION + openTag('testsuites', totals)];
  for (const [name, cases] of groups) {
    const attributes = {
      name,
      tests: cases.length,
      failures: count(cases, 'failure'),
      errors: count(cases, 'error'),
      skipped: 0,
    };
    lines.push(`  ${openTag('testsuite', attributes)}`, ...cases.map(testcase), '  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function groupInto(groups: Map<string, TestCase[]>, key: string, c: TestCase): void {
  const cases = groups.get(key) ?? [];
  cases.push(c);
  groups.set(key, cases);
}

function findingLine(result: CheckResult, f: CheckFinding): string {
  const { file, line, column } = findingLocation(result, f.path);
  const where = line !== undefined ? `${file}:${line}:${column}` : file;
  return `${f.action} [${f.rule}] ${where} ${f.path}: ${f.message}`;
}

function objectCase(result: CheckResult, warningsFail: boolean): TestCase {
  const failing = result.findings.filter((f) => f.action === 'deny' || warningsFail);
  const reported = result.findings.filter((f) => !failing.includes(f));
  const file = resultFile(result);
  const start = findingLocation(result, '');
  const [first] = failing;
  return {
    attributes: {
      classname: [result.kind, result.namespace].filter(Boolean).join('/'),
      name: result.name || '(unnamed)',
      file: result.helmSource ?? (file === '-' ? undefined : file),
      line: result.helmSource ? undefined : start.line,
    },
    ...(first && {
      failure: {
        message: `[${first.rule}] ${first.message}${failing.length > 1 ? ` (and ${failing.length - 1} more)` : ''}`,
        type: [...new Set(failing.map((f) => f.rule))].join(' '),
        body: failing.map((f) => findingLine(result, f)).join('\n'),
      },
    }),
    ...(reported.length && { output: reported.map((f) => findingLine(result, f)).join('\n') }),
  };
}

function problemCase(problem: ReadProblem): TestCase {
  return {
    attributes: { classname: 'input', name: problem.source },
    error: { message: problem.message, body: problem.message },
  };
}

export interface JunitOptions {
  /** Warnings are failures too (the run fails on them). */
  readonly warningsFail?: boolean;
}

export function checkJunit(report: CheckReport, options: JunitOptions = {}): string {
  const groups = new Map<string, TestCase[]>();
  for (const problem of report.errors) groupInto(groups, resultFile(problem), problemCase(problem));
  for (const result of report.results)
    groupInto(
      groups,
      result.helmSource ?? resultFile(result),
      objectCase(result, options.warningsFail === true),
    );
  return suites('kube-hygiene check', groups);
}

export function testCasesJunit(results: readonly CaseResult[], problems: readonly ReadProblem[]): string {
  const groups = new Map<string, TestCase[]>();
  for (const problem of problems) groupInto(groups, problem.source, problemCase(problem));
  for (const r of results) {
    const [first] = r.failures;
    groupInto(groups, r.file, {
      attributes: { classname: r.file, name: r.name, file: r.file },
      ...(first && {
        failure: { message: first, type: 'policy-case', body: r.failures.join('\n') },
      }),
    });
  }
  return suites('kube-hygiene test', groups);
}
