// Cutting text to a number of UTF-8 bytes: never more bytes, never a broken character or
// escape, and the kept part is the start of the text.
import t from 'tap';
import fc from 'fast-check';
import { BoundedLines, bytes, jsonStringWithin, truncateBytes } from '../../src/admission/bounded-text.js';

const text = fc.string({
  unit: fc.constantFrom('a', 'é', '漢', '🚀', '\u0001', '"', '\\', '\n', '\ud800'),
  maxLength: 400,
});
// Mostly ASCII, as most messages are, with at most two wider characters somewhere: on either
// side of the cut, or none.
const mostlyAscii = fc
  .tuple(
    fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 700 }),
    fc.string({ unit: fc.constantFrom('é', '漢', '🚀', '\ud800'), maxLength: 2 }),
    fc.nat(700),
  )
  .map(([ascii, wide, at]) => ascii.slice(0, at) + wide + ascii.slice(at));

t.test('truncateBytes keeps the start of the text within max bytes', async () => {
  fc.assert(
    fc.property(text, fc.integer({ min: 4, max: 600 }), (s, max) => {
      const cut = truncateBytes(s, max);
      if (bytes(cut) > max) return false;
      return cut === s || (cut.endsWith('…') && s.startsWith(cut.slice(0, -1)));
    }),
    { seed: 20261123, numRuns: 2_000 },
  );
});

t.test('jsonStringWithin is a JSON string of at most max bytes whose text starts the input', async () => {
  fc.assert(
    fc.property(text, fc.integer({ min: 12, max: 600 }), (s, max) => {
      const literal = jsonStringWithin(s, max);
      if (bytes(literal) > max) return false;
      const back = JSON.parse(literal) as string;
      if (literal === JSON.stringify(s)) return true;
      // A lone surrogate is written as an escape: compare what the two literals say.
      return back.endsWith('…') && s.startsWith(back.slice(0, -1));
    }),
    { seed: 20261123, numRuns: 2_000 },
  );
});

t.test('a string of megabytes of escapes gives a literal of at most max bytes', async (t) => {
  const huge = '\u0001'.repeat(5_000_000);
  const literal = jsonStringWithin(huge, 1024);
  t.ok(bytes(literal) <= 1024);
  const back = JSON.parse(literal) as string;
  t.ok(
    back.endsWith('…') &&
      back
        .slice(0, -1)
        .split('')
        .every((c) => c === '\u0001'),
    'a cut prefix',
  );
});

t.test('truncateBytes keeps as much as fits: the next character would not', async () => {
  fc.assert(
    fc.property(fc.oneof(text, mostlyAscii), fc.integer({ min: 4, max: 600 }), (s, max) => {
      const cut = truncateBytes(s, max);
      if (cut === s) return bytes(s) <= max;
      const kept = cut.slice(0, -1);
      // The next whole character (a surrogate pair is one), which did not fit with the mark.
      const next = String.fromCodePoint(s.codePointAt(kept.length)!);
      const whole = s.slice(kept.length, kept.length + next.length) === next ? next : s[kept.length]!;
      return bytes(kept + whole) + bytes('…') > max;
    }),
    { seed: 20261205, numRuns: 2_000 },
  );
});

t.test('BoundedLines takes exactly the lines a byte-exact count takes', async () => {
  // The reference counts every line in UTF-8 bytes as it comes.
  const reference = (lines: string[], max: number, reserve: number, separator: string) => {
    const taken: string[] = [];
    let used = 0;
    for (let i = 0; i < lines.length; i++) {
      const size = bytes(lines[i]!) + (taken.length ? bytes(separator) : 0);
      if (used + size > max - (i === lines.length - 1 ? 0 : reserve)) break;
      taken.push(lines[i]!);
      used += size;
    }
    return taken;
  };
  fc.assert(
    fc.property(
      fc.array(text, { maxLength: 40 }),
      fc.integer({ min: 0, max: 4000 }),
      fc.integer({ min: 0, max: 200 }),
      fc.constantFrom('', ',', '\n'),
      (lines, max, reserve, separator) => {
        const bounded = new BoundedLines(max, reserve, separator);
        for (let i = 0; i < lines.length; i++) if (!bounded.add(lines[i]!, i === lines.length - 1)) break;
        const expected = reference(lines, max, reserve, separator);
        return (
          bounded.lines.length === expected.length &&
          bounded.lines.every((l, i) => l === expected[i]) &&
          bounded.full === expected.length < lines.length
        );
      },
    ),
    { seed: 20261205, numRuns: 3_000 },
  );
});
