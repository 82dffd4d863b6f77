// How `check` shows its verdicts: grouped by file and object, findings with the line they
// point at, and one summary line (the JSON form is the public shape in DESIGN.md).
import type { ReadProblem } from './documents.js';
import { skippedText } from './registry-options.js';
import type { ExceptionNotice } from '../policy/exceptions.js';

export interface CheckFinding {
  readonly rule: string;
  readonly action: 'deny' | 'warn';
  readonly path: string;
  readonly message: string;
}

export interface CheckResult {
  readonly source: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly findings: readonly CheckFinding[];
  readonly locate: (pointer: string) => string | undefined;
  /** The Helm template the object was rendered from, when the input said (`# Source:`). */
  readonly helmSource?: string;
}

export interface CheckReport {
  readonly results: readonly CheckResult[];
  /** The policy's expired exceptions and those that covered nothing (only when it has any). */
  readonly exceptions?: readonly ExceptionNotice[];
  readonly errors: readonly ReadProblem[];
  readonly files: number;
  /** Rules that judged nothing here, and why (cluster rules, offline): said once, first. */
  readonly notices: readonly string[];
  readonly summary: {
    documents: number;
    denied: number;
    warned: number;
    errors: number;
    /** Rules that did not run: the registry rules, without --resolve. */
    skipped: readonly string[];
  };
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summaryLine({ summary, files }: CheckReport): string {
  const parts = [`${summary.denied} denied`, `${summary.warned} warned`];
  if (summary.errors) parts.push(plural(summary.errors, 'input error'));
  const line = `checked ${plural(summary.documents, 'object')} in ${plural(files, 'file')}: ${parts.join(', ')}`;
  if (summary.skipped.length === 0) return line;
  return `${line}; ${skippedText(summary.skipped)}`;
}

export function formatCheckText(report: CheckReport, color: boolean): string {
  const red = paint(color, '31');
  const yellow = paint(color, '33');
  const bold = paint(color, '1');
  const dim = paint(color, '2');
  const out: string[] = report.notices.map((notice) => `${dim('note')} ${notice}`);
  for (const problem of report.errors) out.push(`${red('error')} ${problem.message}`);
  let lastFile = '';
  for (const r of report.results) {
    if (r.findings.length === 0) continue;
    const file = r.source.slice(0, r.source.lastIndexOf('#'));
    if (file !== lastFile) {
      out.push('', bold(file));
      lastFile = file;
    }
    const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
    out.push(`  ${r.kind} ${where || '(unnamed)'} ${dim(r.source.slice(file.length))}`);
    for (const f of r.findings) {
      const label = f.action === 'deny' ? red('deny') : yellow('warn');
      const line = r.locate(f.path);
      out.push(`    ${label} [${f.rule}]${line ? ` ${dim(`line ${line}`)}` : ''} ${f.message}`);
    }
  }
  out.push('', summaryLine(report));
  return out.join('\n') + '\n';
}
