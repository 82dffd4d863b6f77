// Reading JSON the caller sent: what shape a value has, and the steps of a JSON pointer.
// https://www.rfc-editor.org/rfc/rfc6901

export type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array): the only thing worth descending into. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One reference token of a JSON pointer: `~` first, so `/` → `~1` is not re-escaped. */
export function escapePointerToken(token: string): string {
  // Nearly every key has neither: skip the two replacements (this runs for every key a diff reads).
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** ['metadata', 'annotations', 'a/b'] → `/metadata/annotations/a~1b`; [] → ''. */
export function pointerOf(steps: readonly string[]): string {
  let pointer = '';
  for (const step of steps) pointer += '/' + escapePointerToken(step);
  return pointer;
}

/** `/metadata/annotations/a~1b` → ['metadata', 'annotations', 'a/b']; '' → []. */
export function pointerSteps(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.includes('~')) return pointer.slice(1).split('/');
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a JSON pointer names inside `document`, or undefined when any step is missing. */
export function valueAtPointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const token of pointerSteps(pointer)) {
    if (Array.isArray(node)) node = /^(0|[1-9][0-9]*)$/.test(token) ? node[Number(token)] : undefined;
    else if (isJsonObject(node)) node = Object.hasOwn(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}
