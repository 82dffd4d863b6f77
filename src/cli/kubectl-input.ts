// A document as kubectl reads it, and the values kubectl cannot send. Unquoted scalars take the
// value go-yaml v2 gives them (kubectl-scalar.ts); a boolean or number where the API wants a string
// (string-fields.ts) gets the object refused by kubectl or the API server, and an infinite or NaN
// number anywhere cannot become JSON at all, so kubectl refuses the file.
import { visit, type Document } from 'yaml';
import { FAILSAFE_SCHEMA, Type } from 'js-yaml';
import { kubectlScalar, type KubectlValue } from './kubectl-scalar.js';
import { stringFieldsOf } from './string-fields.js';
import { isJsonObject } from '../json.js';

/** An unquoted scalar kubectl reads as something other than a string, and where it was written. */
class PlainScalar {
  constructor(
    readonly text: string,
    readonly value: Exclude<KubectlValue, string>,
    readonly offset?: number,
  ) {}
  // js-yaml turns keys into strings this way, as sigs.k8s.io/yaml does (`on:` is the key "true").
  toString(): string {
    return String(this.value);
  }
}

/** Gives every unquoted value scalar of a `yaml` document kubectl's reading (keys stay as read). */
export function markPlainScalars(doc: Document): void {
  visit(doc, {
    Scalar(key, node) {
      // Quoted and block scalars are strings to both readers; explicit tags (`!!str 1`) are kept.
      if (key === 'key' || node.type !== 'PLAIN' || node.tag || node.source === undefined) return;
      const value = kubectlScalar(node.source);
      node.value = typeof value === 'string' ? value : new PlainScalar(node.source, value, node.range?.[0]);
    },
  });
}

/** A js-yaml schema that reads unquoted scalars the same way (for files only js-yaml reads). */
export const KUBECTL_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:kube-hygiene.io,2025:kubectl-plain', {
      kind: 'scalar',
      resolve: (text: string) => typeof kubectlScalar(text) !== 'string',
      construct: (text: string) =>
        new PlainScalar(text, kubectlScalar(text) as Exclude<KubectlValue, string>),
    }),
    // go-yaml merges `<<` keys; js-yaml does when a type of this tag reads them.
    new Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (text: string) => text === '<<' }),
  ],
});

export interface Misread {
  /** Where the value sits, dotted: `spec.template.spec.containers[0].env[1].value`. */
  readonly path: string;
  readonly text: string;
  readonly value: Exclude<KubectlValue, string>;
  /** Offset of the scalar in the file, when the reader said. */
  readonly offset?: number;
}

type Steps = (string | number)[];

function unwrap(value: unknown, steps: Steps, found: { steps: Steps; scalar: PlainScalar }[]): unknown {
  if (value instanceof PlainScalar) {
    found.push({ steps, scalar: value });
    return value.value;
  }
  if (Array.isArray(value)) return value.map((item, i) => unwrap(item, [...steps, i], found));
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty: a `__proto__` key is data, as the readers keep it.
    Object.defineProperty(out, key, {
      value: unwrap(value[key], [...steps, key], found),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

const dotted = (steps: Steps) =>
  steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/** At most this many misreads are reported per document; the rest are counted. */
export const MISREADS_SHOWN = 20;

/** The document's value as kubectl sends it, and every value kubectl would refuse. */
export function readAsKubectl(marked: unknown): { value: unknown; misreads: Misread[] } {
  const found: { steps: Steps; scalar: PlainScalar }[] = [];
  const value = unwrap(marked, [], found);
  const mustBeString = stringFieldsOf(value);
  const misreads = found
    .filter(
      ({ steps, scalar: { value: v } }) =>
        (typeof v === 'number' && !Number.isFinite(v)) || (v !== null && mustBeString(steps)),
    )
    .map(({ steps, scalar }) => ({
      path: dotted(steps),
      text: scalar.text,
      value: scalar.value,
      ...(scalar.offset !== undefined && { offset: scalar.offset }),
    }));
  return { value, misreads };
}

/** `metadata.annotations.x: kubectl reads off as the boolean false where a string is required; quote it: "off"` */
export function describeMisread({ path, text: whole, value }: Misread): string {
  // A number may be a megabyte of digits: the message stays short.
  const text = whole.length > 40 ? `${whole.slice(0, 40)}…` : whole;
  const quoted = JSON.stringify(text);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    const what = Number.isNaN(value) ? 'not a number' : 'an infinite number';
    return `${path}: kubectl reads ${text} as ${what}, which JSON cannot hold, and refuses the file; quote it if it is text: ${quoted}`;
  }
  return `${path}: kubectl reads ${text} as the ${typeof value} ${value} where a string is required; quote it: ${quoted}`;
}
