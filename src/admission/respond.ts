// The one place admission responses are built. It also keeps within what the API server
// accepts: a warning with a control character is dropped by it silently, so they are
// replaced; warnings are kept to 256 bytes each and 4 KiB in all; audit annotation keys are
// the rule ids (the API server prefixes the webhook name), values compact JSON lists of
// findings (a denial's entry has no message: the status carries it) of at most 8 KiB; the
// denial message at most 4 KiB. Sizes are UTF-8 bytes, and each part is built with a running
// count that stops at its cap: the work does not grow with the findings past it.
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response
import type { AdmissionResponse } from './review.js';
import type { Finding } from '../rules/rule.js';
import { BoundedLines, jsonStringWithin, truncateBytes } from './bounded-text.js';

export { truncateBytes };

export const WARNING_MAX_BYTES = 256;
export const WARNINGS_TOTAL_MAX_BYTES = 4096;
export const ANNOTATION_VALUE_MAX_BYTES = 8192;
// One message for every denial: a Deployment of 5,000 bad containers once got 900 KB of it.
export const DENIAL_MAX_BYTES = 4096;
// A finding quotes what the user wrote (an image can be megabytes): answers stay small whatever it is.
const FINDING_MAX_BYTES = 1024;
// Room kept for the closing "… and N more" line or entry, whatever N is.
const SUMMARY_RESERVE_BYTES = 120;

export interface Subject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

// The API server drops a warning that holds any control character: replace them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * At most 4 KiB of warnings, each at most 256 bytes. Lines are formatted only while they fit:
 * the rest are counted, never built.
 */
export function formatWarnings(findings: readonly Finding[]): string[] {
  const out = new BoundedLines(WARNINGS_TOTAL_MAX_BYTES, SUMMARY_RESERVE_BYTES);
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    // No more than WARNING_MAX_BYTES UTF-16 units of a message can show (each is at least a
    // byte): a megabyte message is neither joined nor scanned whole.
    const message = f.message.length > WARNING_MAX_BYTES ? f.message.slice(0, WARNING_MAX_BYTES) : f.message;
    const line = truncateBytes(`[${f.rule}] ${message}`, WARNING_MAX_BYTES);
    // A test stays in the regular expression engine; a replace calls into the runtime.
    const clean = ANY_CONTROL.test(line) ? line.replace(CONTROL, ' ') : line;
    if (!out.add(clean, i === findings.length - 1)) {
      out.lines.push(
        `… and ${findings.length - i} more findings (see the audit annotations or the webhook log)`,
      );
      break;
    }
  }
  return out.lines;
}

// One entry of an audit annotation, written out directly: the same text JSON.stringify gives
// for the object, without building the object first (this runs for every finding shown).
function annotationEntry(f: Finding): string {
  const path = jsonStringWithin(f.path, FINDING_MAX_BYTES);
  // A denial's message is in the answer's status already, which the audit log records as
  // responseStatus: repeating it here doubled the answer and its cost. Warnings are not
  // audited, so their messages are kept.
  if (f.action === 'deny') return `{"action":"deny","path":${path}}`;
  return `{"action":"warn","path":${path},"message":${jsonStringWithin(f.message, FINDING_MAX_BYTES)}}`;
}

interface RuleEntries {
  readonly entries: BoundedLines;
  count: number;
}

/**
 * One annotation per rule: a JSON list of its findings within 8 KiB (in bytes), ending with
 * `{"more":N}` when some did not fit. Entries are built only while they fit; one pass.
 */
function auditAnnotations(findings: readonly Finding[]): Record<string, string> | undefined {
  if (findings.length === 0) return undefined;
  const byRule = new Map<string, RuleEntries>();
  for (const f of findings) {
    let rule = byRule.get(f.rule);
    // The brackets are part of the value.
    if (!rule)
      byRule.set(
        f.rule,
        (rule = {
          entries: new BoundedLines(ANNOTATION_VALUE_MAX_BYTES - 2, SUMMARY_RESERVE_BYTES, ','),
          count: 0,
        }),
      );
    rule.count++;
    if (!rule.entries.full) rule.entries.add(annotationEntry(f));
  }
  const out: Record<string, string> = {};
  for (const [rule, { entries, count }] of byRule) {
    const more = count - entries.lines.length;
    out[rule] =
      `[${entries.lines.join(',')}${more ? `${entries.lines.length ? ',' : ''}{"more":${more}}` : ''}]`;
  }
  return out;
}

function describeSubject({ kind, namespace, name }: Subject): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name || '(unnamed)'}`;
}

/**
 * The status message of a denial: a head, then one line per violation while they fit in 4 KiB,
 * then how many more there are and where to see them all.
 */
export function denialMessage(subject: Subject, denials: readonly Finding[]): string {
  const head = truncateBytes(
    `kube-hygiene denied ${describeSubject(subject)}: ${denials.length} violation${denials.length === 1 ? '' : 's'}`,
    FINDING_MAX_BYTES,
  );
  const out = new BoundedLines(DENIAL_MAX_BYTES, SUMMARY_RESERVE_BYTES, '\n');
  out.add(head);
  for (let i = 0; i < denials.length; i++) {
    const f = denials[i]!;
    const line = truncateBytes(
      `- [${f.rule}] ${truncateBytes(f.message, FINDING_MAX_BYTES)}`,
      FINDING_MAX_BYTES,
    );
    if (!out.add(line, i === denials.length - 1)) {
      const more = denials.length - i;
      out.lines.push(
        `- … and ${more} more violation${more === 1 ? '' : 's'}: run kube-hygiene check on the manifest to see them all`,
      );
      break;
    }
  }
  return out.lines.join('\n');
}

export interface ResponseParts {
  readonly uid: string;
  readonly subject: Subject;
  readonly findings: readonly Finding[];
  /** base64 RFC 6902 patch, mutating endpoint only. */
  readonly patch?: string;
}

export function respond({ uid, subject, findings, patch }: ResponseParts): AdmissionResponse {
  const denials: Finding[] = [];
  const warned: Finding[] = [];
  for (const f of findings) (f.action === 'deny' ? denials : warned).push(f);
  const response: AdmissionResponse = { uid, allowed: denials.length === 0 };
  if (denials.length) {
    response.status = { code: 403, reason: 'Forbidden', message: denialMessage(subject, denials) };
  }
  if (warned.length) response.warnings = formatWarnings(warned);
  const annotations = auditAnnotations(findings);
  if (annotations) response.auditAnnotations = annotations;
  if (patch && denials.length === 0) {
    response.patch = patch;
    response.patchType = 'JSONPatch';
  }
  return response;
}
