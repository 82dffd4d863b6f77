// JSON.parse in slices. JSON.parse is one synchronous call: 7 MiB of small keys (`"k1":"v",` half
// a million times) holds the event loop for 0.6–1.1 s on a small machine, and every other review
// on the server waits. This parser does the same work in pieces, letting the event loop run
// between them, and gives up at a deadline. It builds what JSON.parse builds, with members named
// `__proto__` dropped and `constructor` members that hold a `prototype` removed, as Fastify's
// secure-json-parse does with `onProtoPoisoning` / `onConstructorPoisoning: 'remove'`.
// https://www.rfc-editor.org/rfc/rfc8259

type Container = Record<string, unknown> | unknown[];

interface Frame {
  readonly node: Container;
  /** Object: the member name waiting for its value; undefined between members. */
  key: string | undefined;
  /** What may come next: a value (or the end, right after the opening bracket), or `,` / the end. */
  expect: 'first' | 'value' | 'next';
}

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export class JsonSyntaxError extends SyntaxError {}

export class SlicedJson {
  #at = 0;
  readonly #stack: Frame[] = [];
  #root: unknown;
  /** The root value has begun: after it, only space may follow. */
  #started = false;
  #done = false;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.#done;
  }

  get value(): unknown {
    return this.#root;
  }

  /** Parses for up to `steps` values; true once the whole text is read. */
  run(steps: number): boolean {
    const text = this.text;
    for (let n = 0; n < steps && !this.#done; n++) {
      this.#skipSpace();
      const frame = this.#stack.at(-1);
      if (!frame) {
        if (!this.#started) {
          this.#started = true;
          this.#value();
          continue;
        }
        if (this.#at !== text.length) this.#fail('unexpected text after the JSON value');
        this.#done = true;
        break;
      }
      const code = text.charCodeAt(this.#at);
      const closing = Array.isArray(frame.node) ? 0x5d : 0x7d;
      if (frame.expect !== 'value' && code === closing) {
        this.#at++;
        this.#close();
        continue;
      }
      if (frame.expect === 'next') {
        if (code !== 0x2c) this.#fail(`expected , or ${String.fromCharCode(closing)}`);
        this.#at++;
        frame.expect = 'value';
        continue;
      }
      if (!Array.isArray(frame.node)) {
        if (code !== 0x22) this.#fail('expected a member name');
        frame.key = this.#string();
        this.#skipSpace();
        if (text.charCodeAt(this.#at) !== 0x3a) this.#fail('expected :');
        this.#at++;
        this.#skipSpace();
      }
      this.#value();
    }
    return this.#done;
  }

  #fail(why: string): never {
    throw new JsonSyntaxError(`${why} at position ${this.#at}`);
  }

  #skipSpace(): void {
    const text = this.text;
    let i = this.#at;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.#at = i;
  }

  /** Reads one value at the cursor: a scalar is placed at once, a container opens a frame. */
  #value(): void {
    const text = this.text;
    const code = text.charCodeAt(this.#at);
    if (code === 0x7b || code === 0x5b) {
      this.#at++;
      this.#stack.push({ node: code === 0x7b ? {} : [], key: undefined, expect: 'first' });
      return;
    }
    let value: unknown;
    if (code === 0x22) value = this.#string();
    else if (code === 0x74 || code === 0x66 || code === 0x6e) value = this.#literal();
    else {
      NUMBER.lastIndex = this.#at;
      const match = NUMBER.exec(text);
      if (!match) this.#fail('expected a value');
      value = Number(match[0]);
      this.#at += match[0].length;
    }
    this.#place(value);
  }

  #literal(): boolean | null {
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    return this.#fail('expected a value');
  }

  #string(): string {
    const text = this.text;
    const start = this.#at + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) this.#fail('unterminated string or a control character in it');
      i++;
    }
    this.#at = i + 1;
    if (!escaped) return text.slice(start, i);
    // Escapes are rare in reviews: JSON.parse reads them exactly as it would anywhere else.
    try {
      return JSON.parse(text.slice(start - 1, i + 1)) as string;
    } catch {
      return this.#fail('a bad escape in a string');
    }
  }

  /** Puts a finished value into its parent, or makes it the root. */
  #place(value: unknown): void {
    const frame = this.#stack.at(-1);
    if (!frame) {
      this.#root = value;
      return;
    }
    frame.expect = 'next';
    if (Array.isArray(frame.node)) {
      frame.node.push(value);
      return;
    }
    const key = frame.key!;
    frame.key = undefined;
    // Dropped, as secure-json-parse drops it: a member that would become a prototype.
    if (key === '__proto__') return;
    frame.node[key] = value;
  }

  #close(): void {
    const { node } = this.#stack.pop()!;
    // Removed, as secure-json-parse removes it: a constructor whose prototype could be merged.
    if (!Array.isArray(node) && Object.hasOwn(node, 'constructor')) {
      const ctor: unknown = node['constructor'];
      if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) {
        Reflect.deleteProperty(node, 'constructor');
      }
    }
    this.#place(node);
  }
}

export class ParseDeadlinePassed extends Error {
  constructor(readonly ms: number) {
    super(`reading the body took longer than the ${Math.round(ms)} ms left before the review's deadline`);
    this.name = 'ParseDeadlinePassed';
  }
}

export interface SliceOptions {
  /** Longest stretch of parsing before the event loop gets a turn. */
  readonly sliceMs: number;
  /** performance.now() after which parsing is abandoned. */
  readonly endsAt: number;
  /** Counts slices (tests and the bench read it); optional. */
  readonly onSlice?: () => void;
}

// Values read between two looks at the clock: a few hundred microseconds of work.
const STEPS_PER_CHECK = 2048;

/** The value of `text`, parsed in slices of at most about `sliceMs` each. */
export function parseJsonInSlices(text: string, options: SliceOptions): Promise<unknown> {
  const parser = new SlicedJson(text);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const slice = () => {
      try {
        options.onSlice?.();
        const until = performance.now() + options.sliceMs;
        while (!parser.run(STEPS_PER_CHECK)) {
          const now = performance.now();
          if (now >= options.endsAt) return reject(new ParseDeadlinePassed(options.endsAt - started));
          if (now >= until) return setImmediate(slice);
        }
        resolve(parser.value);
      } catch (err) {
        reject(err as Error);
      }
    };
    slice();
  });
}
