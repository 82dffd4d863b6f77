// How a pod spec restricts the nodes it may run on by one node label (kubernetes.io/arch,
// kubernetes.io/os), read from its nodeSelector and its required node affinity, and how a
// restriction is added to it. Both must hold for a node; the affinity's terms are ORed and
// the expressions inside one term ANDed.
// https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#node-affinity
import type { V1NodeSelectorTerm, V1PodSpec } from '@kubernetes/client-node';
import { isJsonObject } from '../json.js';
import type { NodePin } from '../images/placement.js';
import type { Edits } from './rule.js';

export const ARCH_LABEL = 'kubernetes.io/arch';
export const OS_LABEL = 'kubernetes.io/os';

type Expression = { key?: unknown; operator?: unknown; values?: unknown };

function requiredTerms(spec: V1PodSpec): V1NodeSelectorTerm[] {
  const terms: unknown =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return Array.isArray(terms) ? terms.filter(isJsonObject) : [];
}

const expressionsFor = (term: V1NodeSelectorTerm, label: string): Expression[] =>
  Array.isArray(term.matchExpressions)
    ? (term.matchExpressions as unknown[]).filter(isJsonObject).filter((e: Expression) => e.key === label)
    : [];

const valuesOf = (e: Expression): string[] =>
  Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [];

function termAllows(expressions: readonly Expression[], value: string): boolean {
  return expressions.every((e) => {
    if (e.operator === 'In') return valuesOf(e).includes(value);
    if (e.operator === 'NotIn') return !valuesOf(e).includes(value);
    // Every node carries the well-known labels: DoesNotExist matches none, Exists all.
    return e.operator !== 'DoesNotExist';
  });
}

function termOnly(expressions: readonly Expression[]): Set<string> | undefined {
  const inValues = expressions.filter((e) => e.operator === 'In').map(valuesOf);
  if (inValues.length === 0) return undefined;
  return new Set(inValues[0]!.filter((v) => termAllows(expressions, v)));
}

export function readNodePin(spec: V1PodSpec, label: string): NodePin {
  const selectorValue: unknown = isJsonObject(spec.nodeSelector) ? spec.nodeSelector[label] : undefined;
  const selected = typeof selectorValue === 'string' ? selectorValue : undefined;
  const terms = requiredTerms(spec).map((term) => expressionsFor(term, label));
  const affinityPins = terms.some((expressions) => expressions.length > 0);
  const allows = (value: string) =>
    (selected === undefined || selected === value) &&
    (terms.length === 0 || terms.some((expressions) => termAllows(expressions, value)));
  let only: Set<string> | undefined;
  if (selected !== undefined) only = new Set(allows(selected) ? [selected] : []);
  else if (affinityPins) {
    const perTerm = terms.map(termOnly);
    if (perTerm.every((set) => set !== undefined)) only = new Set(perTerm.flatMap((set) => [...set!]));
  }
  const shown =
    selected !== undefined
      ? `nodeSelector ${label}=${selected}`
      : `required node affinity on ${label}${only ? ` (${[...only].sort().join(', ')})` : ''}`;
  return { pinned: selected !== undefined || affinityPins, allows, only, shown };
}

/**
 * Restricts the pod spec at `specPath` to nodes whose `label` is one of `values`: one value as
 * a nodeSelector entry, several as an `In` expression added to every required term (or a new
 * term).
 */
export function addNodePin(edits: Edits, specPath: string, label: string, values: readonly string[]): void {
  if (values.length === 1) {
    const selector = edits.read(specPath, ['nodeSelector']);
    // A selector that is not a map is replaced by one: the API server would refuse it anyway.
    if (selector === undefined || selector === null || isJsonObject(selector)) {
      edits.set(specPath, ['nodeSelector', label], values[0]!);
    } else edits.set(specPath, ['nodeSelector'], { [label]: values[0]! });
    return;
  }
  const expression = () => ({ key: label, operator: 'In', values: [...values] });
  const required = ['affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'];
  const termsAt = [...required, 'nodeSelectorTerms'];
  const terms = edits.read(specPath, termsAt);
  if (!Array.isArray(terms)) {
    edits.set(specPath, termsAt, [{ matchExpressions: [expression()] }]);
    return;
  }
  let added = 0;
  terms.forEach((term: unknown, i) => {
    if (!isJsonObject(term)) return;
    const at = [...termsAt, String(i), 'matchExpressions'];
    if (!Array.isArray(term.matchExpressions)) edits.set(specPath, at, []);
    edits.append(specPath, at, expression());
    added++;
  });
  if (added === 0) edits.append(specPath, termsAt, { matchExpressions: [expression()] });
}
