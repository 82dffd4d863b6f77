// Text for answers, cut to the API server's limits in UTF-8 bytes (what it counts), never in
// UTF-16 characters (what String.length counts: a value of 8,192 characters can be 24 KiB).
// Each function reads at most about `max` characters of its input, so quoting a megabyte of
// user input costs no more than quoting a kilobyte.

export const ELLIPSIS = '…';
const ELLIPSIS_BYTES = 3;

export const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const utf8Length = (codePoint: number) =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;

/** Cuts to at most `max` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateBytes(text: string, max: number): string {
  // A UTF-16 unit is at most 3 bytes, and never less than 1: settle most strings without a scan.
  if (text.length * 3 <= max) return text;
  if (text.length <= max && bytes(text) <= max) return text;
  let used = ELLIPSIS_BYTES;
  let end = 0;
  for (const ch of text) {
    used += utf8Length(ch.codePointAt(0)!);
    if (used > max) break;
    end += ch.length;
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
  #used = 0;
  #full = false;

  constructor(
    private readonly max: number,
    private readonly reserve: number,
    private readonly separator = '',
  ) {}

  get full(): boolean {
    return this.#full;
  }

  /** Adds `line` if it fits with the reserve (or, as the `last` line, without it); false once full. */
  add(line: string, last = false): boolean {
    if (this.#full) return false;
    const size = bytes(line) + (this.lines.length ? bytes(this.separator) : 0);
    if (this.#used + size > this.max - (last ? 0 : this.reserve)) {
      this.#full = true;
      return false;
    }
    this.lines.push(line);
    this.#used += size;
    return true;
  }
}
