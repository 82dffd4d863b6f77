// The copy mutating rules edit, made only where they edit. A rule asks for the node at a JSON
// pointer; the nodes above it are copied one level each (their other members stay shared with
// the original) and the node itself is copied whole, so the rule may change anything inside it.
// Everything else is the original object: derivePatch skips identical subtrees at once, so the
// cost of a mutation follows what was edited, not the size of the object (7 MiB of annotations
// next to one edited container used to be cloned and compared key by key: seconds).
import { copyJson, pointerSteps, type JsonObject } from '../json.js';

type Node = JsonObject | unknown[];

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;
const shallowCopy = (node: Node): Node => (Array.isArray(node) ? [...node] : { ...node });

/** A child of `node` by pointer token: own members only, array indexes in their JSON form. */
function childOf(node: Node, token: string): unknown {
  if (!Array.isArray(node)) return Object.hasOwn(node, token) ? node[token] : undefined;
  // An index as JSON writes it: no sign, no leading zero, no fraction.
  const index = Number(token);
  return Number.isInteger(index) && String(index) === token ? node[index] : undefined;
}

function setChild(node: Node, token: string, value: unknown): void {
  if (Array.isArray(node)) node[Number(token)] = value;
  // defineProperty, not assignment: a member named __proto__ must stay a member.
  else Object.defineProperty(node, token, { value, writable: true, enumerable: true, configurable: true });
}

export class Draft {
  #root: Node | undefined;
  /** Nodes copied one level: their own members may still be the original's. */
  readonly #copied = new WeakSet<object>();
  /** Nodes copied whole: everything below them is the draft's own. */
  readonly #whole = new WeakSet<object>();

  constructor(private readonly original: JsonObject) {}

  /** The edited object, or undefined when no rule asked to edit. */
  get edited(): JsonObject | undefined {
    return this.#root as JsonObject | undefined;
  }

  /**
   * The node at `pointer` in the draft, the draft's own to change in any way; undefined when
   * the pointer names nothing, or a value that is not an object or array.
   */
  edit(pointer: string): Node | undefined {
    const steps = pointerSteps(pointer);
    if (!this.#root) {
      this.#root = steps.length ? shallowCopy(this.original) : copyJson(this.original);
      (steps.length ? this.#copied : this.#whole).add(this.#root);
    }
    let node: Node = this.#root;
    for (let i = 0; i < steps.length; i++) {
      if (this.#whole.has(node)) {
        // Already the draft's own all the way down: only walk.
        const child = childOf(node, steps[i]!);
        if (!isNode(child)) return undefined;
        node = child;
        continue;
      }
      const child = childOf(node, steps[i]!);
      if (!isNode(child)) return undefined;
      const last = i === steps.length - 1;
      let own: Node = child;
      if (last && !this.#whole.has(child)) {
        own = copyJson(child);
        this.#whole.add(own);
      } else if (!last && !this.#copied.has(child) && !this.#whole.has(child)) {
        own = shallowCopy(child);
        this.#copied.add(own);
      }
      if (own !== child) setChild(node, steps[i]!, own);
      node = own;
    }
    if (steps.length === 0 && !this.#whole.has(node)) {
      node = this.#root = copyJson(node);
      this.#whole.add(node);
    }
    return node;
  }
}
