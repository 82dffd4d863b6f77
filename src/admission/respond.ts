// The one place admission responses are built. It also keeps within what the API server
// accepts: a warning with a control character is dropped by it silently, so they are
// replaced; warnings are kept to 256 bytes each and 4 KiB in all; audit annotation keys are
// the rule ids (the API server prefixes the webhook name), values compact JSON lists of
// findings (a denial's entry has no message: the status carries it).
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response
import type { AdmissionResponse } from './review.js';
import type { Finding } from '../rules/rule.js';

export const WARNING_MAX_BYTES = 256;
export const WARNINGS_TOTAL_MAX_BYTES = 4096;
const ANNOTATION_VALUE_MAX = 8192;
// A finding quotes what the user wrote (an image can be megabytes): answers stay small whatever it is.
const FINDING_MAX_BYTES = 1024;

export interface Subject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

// The API server drops a warning that holds any control character: replace them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const utf8Length = (codePoint: number) =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
const ELLIPSIS = '…';

/** Cuts to at most `max` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateBytes(text: string, max: number): string {
  if (text.length * 3 <= max || bytes(text) <= max) return text;
  let used = bytes(ELLIPSIS);
  let end = 0;
  for (const ch of text) {
    used += utf8Length(ch.codePointAt(0)!);
    if (used > max) break;
    end += ch.length;
  }
  return text.slice(0, end) + ELLIPSIS;
}

export function formatWarnings(findings: readonly Finding[]): string[] {
  const lines = findings.map((f) =>
    truncateBytes(`[${f.rule}] ${f.message}`.replace(CONTROL, ' '), WARNING_MAX_BYTES),
  );
  const out: string[] = [];
  let total = 0;
  // Room for the closing summary line, which can be up to this long.
  const reserve = 80;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const last = i === lines.length - 1;
    if (total + bytes(line) > WARNINGS_TOTAL_MAX_BYTES - (last ? 0 : reserve)) {
      out.push(`… and ${lines.length - i} more findings (see the audit annotations or the webhook log)`);
      break;
    }
    out.push(line);
    total += bytes(line);
  }
  return out;
}

// One entry of an audit annotation, written out directly: the same text JSON.stringify gives
// for the object, without building the object first (this runs for every finding of every
// request).
function annotationEntry(f: Finding): string {
  const path = JSON.stringify(truncateBytes(f.path, FINDING_MAX_BYTES));
  // A denial's message is in the answer's status already, which the audit log records as
  // responseStatus: repeating it here doubled the answer and its cost. Warnings are not
  // audited, so their messages are kept.
  if (f.action === 'deny') return `{"action":"deny","path":${path}}`;
  const message = JSON.stringify(truncateBytes(f.message, FINDING_MAX_BYTES));
  return `{"action":"warn","path":${path},"message":${message}}`;
}

function auditAnnotations(findings: readonly Finding[]): Record<string, string> | undefined {
  if (findings.length === 0) return undefined;
  const byRule: Partial<Record<Finding['rule'], string[]>> = {};
  for (const f of findings) (byRule[f.rule] ??= []).push(annotationEntry(f));
  const out: Record<string, string> = {};
  for (const [rule, entries] of Object.entries(byRule)) {
    const all = entries.length;
    let value = `[${entries.join(',')}]`;
    while (value.length > ANNOTATION_VALUE_MAX && entries.length > 1) {
      entries.pop();
      value = `[${entries.join(',')},{"more":${all - entries.length}}]`;
    }
    out[rule] = value;
  }
  return out;
}

function describeSubject({ kind, namespace, name }: Subject): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name || '(unnamed)'}`;
}

export function denialMessage(subject: Subject, denials: readonly Finding[]): string {
  const head = `kube-hygiene denied ${describeSubject(subject)}: ${denials.length} violation${denials.length === 1 ? '' : 's'}`;
  return [head, ...denials.map((f) => truncateBytes(`- [${f.rule}] ${f.message}`, FINDING_MAX_BYTES))].join(
    '\n',
  );
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
