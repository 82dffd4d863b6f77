// The one place patches are derived. Mutating rules record edits (edits.ts), which copy the
// nodes they change; this file compares the edited object with the original and writes the
// RFC 6902 operations that turn one into the other, so escaping and ordering are solved once
// for every rule.
// - Keys are escaped per RFC 6901 (`~` → `~0`, `/` → `~1`): label and annotation keys such as
//   `app.kubernetes.io/name` sit next to the paths rules patch.
// - Objects are never replaced whole, only the members that changed, so fields this server
//   does not know survive. A member the original lacks is added with its whole subtree: that
//   is how missing parents (`env`, `nodeSelector`) are created.
// - Entries appended to an array are added with `/-`, so the user's entries keep their places.
// https://www.rfc-editor.org/rfc/rfc6902 https://www.rfc-editor.org/rfc/rfc6901
import { isDeepStrictEqual } from 'node:util';
import { escapePointerToken, isJsonObject, type JsonObject } from '../json.js';

export type PatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

// Own members only: a label named `constructor` must not find Object.prototype's.
const member = (object: JsonObject, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

export { escapePointerToken };

function diffObjects(before: JsonObject, after: JsonObject, path: string, out: PatchOperation[]): void {
  for (const key of Object.keys(before)) {
    // JSON has no `undefined`: a member a rule set to undefined is a member it removed.
    if (member(after, key) === undefined && before[key] !== undefined) {
      out.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
    }
  }
  for (const key of Object.keys(after)) {
    const value = after[key];
    const previous = member(before, key);
    // Untouched members are the original's own values (edits copy only what they change): no
    // pointer is written for them.
    if (value === undefined || value === previous) continue;
    const at = `${path}/${escapePointerToken(key)}`;
    if (previous === undefined) out.push({ op: 'add', path: at, value });
    else diffValues(previous, value, at, out);
  }
}

function diffArrays(before: unknown[], after: unknown[], path: string, out: PatchOperation[]): void {
  const shared = Math.min(before.length, after.length);
  for (let i = 0; i < shared; i++)
    if (before[i] !== after[i]) diffValues(before[i], after[i], `${path}/${i}`, out);
  for (let i = shared; i < after.length; i++) out.push({ op: 'add', path: `${path}/-`, value: after[i] });
  // From the end, so every index still names the entry it meant when its operation runs.
  for (let i = before.length - 1; i >= shared; i--) out.push({ op: 'remove', path: `${path}/${i}` });
}

function diffValues(before: unknown, after: unknown, path: string, out: PatchOperation[]): void {
  // Most leaves are equal strings and numbers: settle them before any deeper comparison.
  if (before === after) return;
  if (isJsonObject(before) && isJsonObject(after)) diffObjects(before, after, path, out);
  else if (Array.isArray(before) && Array.isArray(after)) diffArrays(before, after, path, out);
  else if (!isDeepStrictEqual(before, after)) out.push({ op: 'replace', path, value: after });
}

/** The operations that turn `original` into `edited`; empty when the rules changed nothing. */
export function derivePatch(original: unknown, edited: unknown): PatchOperation[] {
  const out: PatchOperation[] = [];
  diffValues(original, edited, '', out);
  return out;
}

// A patch is measured (patch-limit.ts) and then encoded: it is written out once for both.
const texts = new WeakMap<readonly PatchOperation[], string>();

/** The operations as JSON text. */
export function patchText(operations: readonly PatchOperation[]): string {
  let text = texts.get(operations);
  if (text === undefined) texts.set(operations, (text = JSON.stringify(operations)));
  return text;
}

/** The form AdmissionResponse.patch takes (with `patchType: JSONPatch`). */
export function encodePatch(operations: readonly PatchOperation[]): string {
  return Buffer.from(patchText(operations), 'utf8').toString('base64');
}
