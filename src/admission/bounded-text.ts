// Text for answers, cut to the API server's limits in UTF-8 bytes (what it counts), never in
// UTF-16 characters (what String.length counts: a value of 8,192 characters can be 24 KiB).
// Each function reads at most about `max` characters of its input, so quoting a megabyte of
// user input costs no more than quoting a kilobyte.

export const ELLIPSIS = '…';
const ELLIPSIS_BYTES = 3;

export const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const utf8Length = (codePoint: number) =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;

const isLowSurrogate = (code: number) => code >= 0xdc00 && code < 0xe000;

/** Cuts to at most `max` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateBytes(text: string, max: number): string {
  // A UTF-16 unit is at most 3 bytes, and never less than 1: settle most strings without a scan.
  if (text.length * 3 <= max) return text;
  if (text.length <= max && bytes(text) <= max) return text;
  // Most text we quote is ASCII: when the longest prefix that could fit is, it is the cut.
  const head = text.slice(0, Math.max(0, max - ELLIPSIS_BYTES));
  if (bytes(head) === head.length) return head + ELLIPSIS;
  let used = ELLIPSIS_BYTES;
  let end = 0;
  // By UTF-16 unit, a surrogate pair (4 bytes) taken whole; a lone surrogate is 3 bytes, as
  // Buffer.byteLength counts its replacement character.
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const pair = code >= 0xd800 && code < 0xdc00 && isLowSurrogate(text.charCodeAt(end + 1));
    used += pair ? 4 : utf8Length(code);
    if (used > max) break;
    end += pair ? 2 : 1;
  }
  return text.slice(0, end) + ELLIPSIS;
}

/** [UTF-16 units, UTF-8 bytes] of the escape or character at `i` of a JSON string literal. */
function pieceAt(literal: string, i: number): [number, number] {
  const code = literal.charCodeAt(i);
  if (code === 0x5c) return literal.charCodeAt(i + 1) === 0x75 ? [6, 6] : [2, 2]; // \uXXXX, \n, \"
  // JSON.stringify escapes lone surrogates: a surrogate here is half of a pair.
  if (code >= 0xd800 && code < 0xdc00) return [2, 4];
  return [1, utf8Length(code)];
}

/**
 * `JSON.stringify(text)`, at most `max` UTF-8 bytes long, quotes included. Escapes can make the
 * literal six times longer than the text (`\u0001`), so the literal itself is cut, on an escape
 * or character boundary, and the cut marked.
 */
export function jsonStringWithin(text: string, max: number): string {
  const literal = JSON.stringify(truncateBytes(text, max));
  if (literal.length * 3 <= max || bytes(literal) <= max) return literal;
  const room = max - ELLIPSIS_BYTES - 1; // the closing quote
  let used = 1; // the opening quote
  let i = 1;
  while (i < literal.length - 1) {
    const [units, size] = pieceAt(literal, i);
    if (used + size > room) break;
    used += size;
    i += units;
  }
  return `${literal.slice(0, i)}${ELLIPSIS}"`;
}

/**
 * Lines joined by `separator` within `max` bytes: a line is taken only when it fits with room
 * left for the closing summary (`reserve` bytes), so the summary always fits too.
 */
export class BoundedLines {
  readonly lines: string[] = [];
  /** Bytes taken: an upper bound (3 per UTF-16 unit) until that bound first nears the cap, exact after. */
  #used = 0;
  #exact = false;
  #full = false;
  readonly #separatorBytes: number;

  constructor(
    private readonly max: number,
    private readonly reserve: number,
    private readonly separator = '',
  ) {
    this.#separatorBytes = bytes(separator);
  }

  get full(): boolean {
    return this.#full;
  }

  /** Adds `line` if it fits with the reserve (or, as the `last` line, without it); false once full. */
  add(line: string, last = false): boolean {
    if (this.#full) return false;
    const room = this.max - (last ? 0 : this.reserve);
    const separator = this.lines.length ? this.#separatorBytes : 0;
    // Most answers are far from their caps: lines are counted in bytes only once the upper
    // bound could reach one, and then every line so far, once.
    if (!this.#exact) {
      const bound = line.length * 3 + separator;
      if (this.#used + bound <= room) {
        this.lines.push(line);
        this.#used += bound;
        return true;
      }
      this.#exact = true;
      this.#used = 0;
      for (const taken of this.lines) this.#used += bytes(taken);
      this.#used += Math.max(0, this.lines.length - 1) * this.#separatorBytes;
    }
    const size = bytes(line) + separator;
    if (this.#used + size > room) {
      this.#full = true;
      return false;
    }
    this.lines.push(line);
    this.#used += size;
    return true;
  }
}
