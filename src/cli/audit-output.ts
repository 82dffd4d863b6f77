// How `audit` shows a report: the JSON shape (check's shape, plus the orphaned HPAs) and the
// text a person reads before switching a cluster to enforce: what would be denied and warned,
// by namespace, the orphaned HPAs, then a table per namespace and per rule.
import type { AuditReport, AuditResult } from './audit-run.js';

export interface AuditSummary {
  readonly objects: number;
  readonly denied: number;
  readonly warned: number;
  readonly skipped: number;
  readonly owned: number;
  readonly orphanedHpas: number;
  readonly errors: number;
}

const denies = (r: AuditResult) => r.findings.some((f) => f.action === 'deny');
const warns = (r: AuditResult) => r.findings.some((f) => f.action === 'warn');

export function summarise(report: AuditReport): AuditSummary {
  const judged = report.results.filter((r) => !r.skipped);
  return {
    objects: judged.length,
    denied: judged.filter(denies).length,
    warned: judged.filter(warns).length,
    skipped: report.results.length - judged.length,
    owned: report.owned,
    orphanedHpas: report.hpas.orphaned.length,
    errors: report.errors.length,
  };
}

export function auditJson(report: AuditReport): unknown {
  return {
    results: report.results.map(({ source, apiVersion, kind, namespace, name, findings, skipped }) => ({
      source,
      apiVersion,
      kind,
      namespace,
      name,
      findings,
      ...(skipped ? { skipped } : {}),
    })),
    orphanedHpas: report.hpas.orphaned,
    uncheckedHpas: report.hpas.unchecked,
    summary: summarise(report),
    errors: report.errors,
    ...(report.exceptions?.length && { exceptions: report.exceptions }),
  };
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Rows under a header, columns padded (text left, numbers right). */
function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => String(row[i]).length)));
  return all.map((row) =>
    row
      .map((cell, i) =>
        typeof cell === 'number' ? String(cell).padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

export function summaryLine(report: AuditReport): string {
  const s = summarise(report);
  const where = report.namespace ? `namespace ${report.namespace}` : 'every namespace';
  const parts = [`${s.denied} would be denied`, `${s.warned} warned`, plural(s.orphanedHpas, 'orphaned HPA')];
  if (s.errors) parts.push(plural(s.errors, 'listing error'));
  const owned = s.owned ? ` (+${s.owned} owned by a workload, judged through it)` : '';
  return `audited ${plural(s.objects, 'object')} in ${where}${owned}: ${parts.join(', ')}`;
}

export function formatAuditText(report: AuditReport, color: boolean): string {
  const red = paint(color, '31');
  const yellow = paint(color, '33');
  const bold = paint(color, '1');
  const out: string[] = report.errors.map((e) => `${red('error')} ${e.message}`);
  const namespaces = [...new Set(report.results.map((r) => r.namespace))].sort();

  for (const ns of namespaces) {
    const flagged = report.results.filter((r) => r.namespace === ns && r.findings.length);
    if (!flagged.length) continue;
    out.push('', bold(ns));
    for (const r of flagged) {
      out.push(`  ${r.kind} ${r.name}`);
      for (const f of r.findings) {
        out.push(`    ${f.action === 'deny' ? red('deny') : yellow('warn')} [${f.rule}] ${f.message}`);
      }
    }
  }
  const { orphaned, unchecked } = report.hpas;
  if (orphaned.length) {
    out.push('', bold('HPAs that scale nothing today (delete them, or restore their target):'));
    for (const o of orphaned) out.push(`  ${o.namespace}/${o.name} -> ${o.target.kind} ${o.target.name}`);
  }
  if (unchecked.length) {
    out.push('', bold('HPAs whose target could not be checked:'));
    for (const o of unchecked)
      out.push(`  ${o.namespace}/${o.name} -> ${o.target.kind} ${o.target.name}: ${o.reason}`);
  }

  const perNamespace = namespaces.map((ns) => {
    const judged = report.results.filter((r) => r.namespace === ns && !r.skipped);
    const skipped = report.results.filter((r) => r.namespace === ns && r.skipped).length;
    const orphans = orphaned.filter((o) => o.namespace === ns).length;
    return [ns, judged.length, judged.filter(denies).length, judged.filter(warns).length, orphans, skipped];
  });
  out.push(
    '',
    ...table(['NAMESPACE', 'OBJECTS', 'DENIED', 'WARNED', 'ORPHANED HPAS', 'SKIPPED'], perNamespace),
  );

  const rules = [...new Set(report.results.flatMap((r) => r.findings.map((f) => f.rule)))].sort();
  if (rules.length) {
    const count = (rule: string, action: string) =>
      report.results.reduce(
        (n, r) => n + r.findings.filter((f) => f.rule === rule && f.action === action).length,
        0,
      );
    const rows = rules.map((rule) => [rule, count(rule, 'deny'), count(rule, 'warn')]);
    out.push('', ...table(['RULE', 'DENY', 'WARN'], rows));
  }
  out.push('', summaryLine(report));
  return out.join('\n').replace(/^\n/, '') + '\n';
}
