// A manifest stream cut into its YAML documents as it is read, so `check` holds one document at
// a time, whatever the size of the input: read, parse, judge, print, drop.
// A line starting `---` always starts a document: YAML forbids it inside any scalar
// (c-forbidden, https://yaml.org/spec/1.2.2/#912-document-markers), so cutting there never
// splits a value. Comments and directives before a marker stay with the document they precede.
import { StringDecoder } from 'node:string_decoder';

export interface DocumentText {
  readonly text: string;
  /** Line of the file the text starts on, from 1. */
  readonly firstLine: number;
}

/** What was read: bytes, and where the input showed it is not text. */
export interface StreamStats {
  bytes: number;
  /** Offset of the first NUL byte: a binary file, or text that is not UTF-8. */
  binaryAt?: number;
}

const isMarker = (line: string) =>
  line.startsWith('---') && (line.length === 3 || ' \t\r\n'.includes(line[3]!));

/** Blank lines, comments and directives: nothing of a document yet. */
const isTrivia = (line: string) => {
  const trimmed = line.trimStart();
  return trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('%');
};

export async function* splitDocuments(
  input: AsyncIterable<Buffer | string>,
  stats: StreamStats,
): AsyncGenerator<DocumentText> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let current = '';
  let currentLine = 1;
  let started = false; // the current text holds more than trivia
  let line = 1;

  function* take(text: string, last: boolean): Generator<DocumentText> {
    let from = 0;
    for (;;) {
      const newline = text.indexOf('\n', from);
      if (newline === -1 && !last) {
        pending = text.slice(from);
        return;
      }
      const end = newline === -1 ? text.length : newline + 1;
      if (end === from) break;
      const row = text.slice(from, end);
      from = end;
      if (isMarker(row)) {
        if (started) {
          yield { text: current, firstLine: currentLine };
          current = '';
          currentLine = line;
        }
        started = true;
      } else if (!started && !isTrivia(row)) {
        started = true;
      }
      if (current === '') currentLine = line;
      current += row;
      line++;
    }
    pending = '';
  }

  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const nul = buffer.indexOf(0);
    if (nul !== -1) {
      stats.binaryAt = stats.bytes + nul;
      stats.bytes += buffer.length;
      return;
    }
    stats.bytes += buffer.length;
    yield* take(pending + decoder.write(buffer), false);
  }
  yield* take(pending + decoder.end(), true);
  if (current !== '') yield { text: current, firstLine: currentLine };
}
