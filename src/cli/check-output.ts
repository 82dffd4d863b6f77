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
  /** Why the object was not judged (an exempt namespace, a namespace with mode off). */
  readonly exempt?: string;
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
  /** Objects not judged, and documents that are not objects (text output only). */
  readonly exempt?: number;
  readonly skippedDocuments?: number;
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summaryLine(report: CheckReport): string {
  const { summary, files } = report;
  const parts = [`${summary.denied} denied`, `${summary.warned} warned`];
  if (report.exempt) parts.push(`${report.exempt} exempt`);
  if (summary.errors) parts.push(plural(summary.errors, 'input error'));
  if (report.skippedDocuments)
    parts.push(
      `${plural(report.skippedDocuments, 'document')} skipped as not Kubernetes objects (--verbose lists them)`,
    );
  const line = `checked ${plural(summary.documents, 'object')} in ${plural(files, 'file')}: ${parts.join(', ')}`;
  if (summary.skipped.length === 0) return line;
  return `${line}; ${skippedText(summary.skipped)}`;
}

export interface TextStyle {
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
}

export function textStyle(color: boolean): TextStyle {
  return {
    red: paint(color, '31'),
    yellow: paint(color, '33'),
    bold: paint(color, '1'),
    dim: paint(color, '2'),
  };
}

/**
 * One result's lines, as they are printed while the input is read: the file's name when it
 * changes (`state.lastFile`), the object, and its findings; nothing for an object with none.
 */
export function resultLines(r: CheckResult, style: TextStyle, state: { lastFile: string }): string[] {
  if (r.findings.length === 0 && !r.exempt) return [];
  const { red, yellow, bold, dim } = style;
  const out: string[] = [];
  const file = r.source.slice(0, r.source.lastIndexOf('#'));
  if (file !== state.lastFile) {
    out.push('', bold(file));
    state.lastFile = file;
  }
  const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const exempt = r.exempt ? ` exempt: ${r.exempt}` : '';
  out.push(`  ${r.kind} ${where || '(unnamed)'} ${dim(r.source.slice(file.length))}${exempt}`);
  for (const f of r.findings) {
    const label = f.action === 'deny' ? red('deny') : yellow('warn');
    const line = r.locate(f.path);
    out.push(`    ${label} [${f.rule}]${line ? ` ${dim(`line ${line}`)}` : ''} ${f.message}`);
  }
  return out;
}
