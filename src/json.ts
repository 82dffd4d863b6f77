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

/** `/metadata/annotations/a~1b` → ['metadata', 'annotations', 'a/b']; '' → []. */
export function pointerSteps(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.includes('~')) return pointer.slice(1).split('/');
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const emptyLike = (node: object): object => (Array.isArray(node) ? new Array<unknown>(node.length) : {});

/**
 * A deep copy of JSON data. structuredClone costs microseconds of fixed overhead per call
 * (5 µs for a small container: 0.1 s for a pod of 20,000), this a few hundred nanoseconds;
 * a loop, not recursion, so nesting tens of thousands deep cannot overflow the stack.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const root = emptyLike(value);
  const stack: [source: object, target: object][] = [[value, root]];
  while (stack.length) {
    const [source, target] = stack.pop()!;
    for (const key of Object.keys(source)) {
      let child = (source as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        const copied = emptyLike(child);
        stack.push([child, copied]);
        child = copied;
      }
      // A member named __proto__ is data here: assignment would set the prototype instead.
      if (key === '__proto__') {
        Object.defineProperty(target, key, {
          value: child,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else (target as Record<string, unknown>)[key] = child;
    }
  }
  return root as T;
}
