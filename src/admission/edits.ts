// The edits mutating rules make to the admitted object, made only where they edit. A write
// copies the nodes on its path, one level each (their other members stay shared with the
// original); everything else is the original object, so derivePatch (patch.ts) skips untouched
// subtrees by identity and a mutation costs what it touches, not the size of the object.
// The original is never written: it may be frozen.
//
// Each rule's edits are a transaction. Nodes copied in the running transaction are its own to
// change in place; nodes from earlier transactions are copied again before a write, so undoing
// a rule that threw is putting back the root it started from.
import { pointerOf, pointerSteps, type JsonObject } from '../json.js';
import type { Edits } from '../rules/rule.js';

type Node = JsonObject | unknown[];
type Kind = 'object' | 'array';

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;
const shallowCopy = (node: Node): Node => (Array.isArray(node) ? [...node] : { ...node });
const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

/** An array index as JSON writes it (no sign, no leading zero, no fraction), below `length`. */
function indexIn(array: readonly unknown[], token: string): number | undefined {
  const index = Number(token);
  return Number.isInteger(index) && String(index) === token && index < array.length ? index : undefined;
}

/** The steps of `at` followed by `keys`. */
function stepsOf(at: string, keys: readonly string[]): string[] {
  const steps = pointerSteps(at);
  for (const key of keys) steps.push(key);
  return steps;
}

/** A child of `node` by pointer token: own members only. */
function childOf(node: Node, token: string): unknown {
  if (!Array.isArray(node)) return Object.hasOwn(node, token) ? node[token] : undefined;
  const index = indexIn(node, token);
  return index === undefined ? undefined : node[index];
}

function setChild(node: Node, token: string, value: unknown): void {
  if (Array.isArray(node)) node[Number(token)] = value;
  // defineProperty, not assignment: a member named __proto__ must stay a member. Only for that
  // name: defining every new member that way turns the copy into a slow dictionary object.
  else if (token === '__proto__') {
    Object.defineProperty(node, token, { value, writable: true, enumerable: true, configurable: true });
  } else node[token] = value;
}

export class ObjectEdits implements Edits {
  #root: Node;
  /** The root when the running transaction began: what undoing it puts back. */
  #start: Node;
  /** Nodes copied in the running transaction; undefined until it writes. A Set, not a WeakSet:
   * it lives as long as one review, and WeakSet entries cost the garbage collector per entry. */
  #own: Set<object> | undefined;

  constructor(private readonly original: JsonObject) {
    this.#root = this.#start = original;
  }

  /** The edited object, or undefined when no kept edit changed anything. */
  get edited(): JsonObject | undefined {
    return this.#root === this.original ? undefined : (this.#root as JsonObject);
  }

  /** Keeps the running transaction's edits and starts the next; true when it wrote. */
  commit(): boolean {
    const wrote = this.#own !== undefined;
    this.#start = this.#root;
    this.#own = undefined;
    return wrote;
  }

  /** Undoes every edit of the running transaction. */
  rollback(): void {
    this.#root = this.#start;
    this.#own = undefined;
  }

  read(at: string, keys: readonly string[] = []): unknown {
    let node: unknown = this.#root;
    for (const token of stepsOf(at, keys)) {
      if (!isNode(node)) return undefined;
      node = childOf(node, token);
    }
    return node;
  }

  set(at: string, keys: readonly string[], value: unknown): void {
    const steps = stepsOf(at, keys);
    const token = steps.pop();
    if (token === undefined) throw new Error('cannot set the whole object: name a member to set');
    const parent = this.#writable(steps, 'object');
    if (Array.isArray(parent) && indexIn(parent, token) === undefined) {
      throw new Error(`cannot set ${pointerOf([...steps, token])}: no such entry (append to add one)`);
    }
    setChild(parent, token, value);
  }

  append(at: string, keys: readonly string[], value: unknown): void {
    const steps = stepsOf(at, keys);
    const array = this.#writable(steps, 'array');
    if (!Array.isArray(array)) {
      throw new Error(`cannot append to ${pointerOf(steps)}: it is an object, not an array`);
    }
    array.push(value);
  }

  replace(at: string, keys: readonly string[], value: unknown): void {
    const current = this.read(at, keys);
    if (current === undefined || isNode(current) || isNode(value)) {
      const where = pointerOf([...pointerSteps(at), ...keys]);
      throw new Error(
        `cannot replace ${where} (${current === undefined ? 'nothing' : kindOf(current)}) with ${kindOf(value)}: only a scalar replaces a scalar`,
      );
    }
    this.set(at, keys, value);
  }

  /**
   * The node at `steps`, the running transaction's own to write: copied where it is not yet,
   * created (an object, or `last` for the final step) where it is missing or null.
   */
  #writable(steps: readonly string[], last: Kind): Node {
    const own = (this.#own ??= new Set());
    if (!own.has(this.#root)) own.add((this.#root = shallowCopy(this.#root)));
    let node = this.#root;
    for (let i = 0; i < steps.length; i++) {
      const token = steps[i]!;
      const child = childOf(node, token);
      let next: Node;
      if (child === undefined || child === null) {
        if (Array.isArray(node)) {
          throw new Error(`cannot edit ${pointerOf(steps.slice(0, i + 1))}: no such entry`);
        }
        next = i === steps.length - 1 && last === 'array' ? [] : {};
        own.add(next);
      } else if (!isNode(child)) {
        throw new Error(`cannot edit inside ${pointerOf(steps.slice(0, i + 1))}: it is ${kindOf(child)}`);
      } else if (own.has(child)) {
        next = child;
      } else {
        own.add((next = shallowCopy(child)));
      }
      if (next !== child) setChild(node, token, next);
      node = next;
    }
    return node;
  }
}
