// Where `check` sends what it finds, as it finds it. Text is printed per document, so a large
// input never waits for its end; JSON is one document, printed when the input is read.
import type { ReadProblem, SkippedDocument } from './documents.js';
import { resultLines, summaryLine, textStyle, type CheckReport, type CheckResult } from './check-output.js';
import { formatCheckReport, type CheckFormat, type FormatOptions } from './check-formats.js';
import type { CompiledPolicy } from '../policy/compile.js';

export interface SinkIo {
  readonly stdout: NodeJS.WritableStream;
  readonly color: boolean;
}

/** Where results go as they come: printed at once (text), or kept for the one JSON document (json). */
export interface Sink {
  notice(text: string): void;
  problem(problem: ReadProblem): void;
  skip(document: SkippedDocument): void;
  result(result: CheckResult): void;
  finish(report: Omit<CheckReport, 'results' | 'errors'>): void;
}

export function textSink(io: SinkIo, verbose: boolean, beforeWrite: () => void): Sink {
  const style = textStyle(io.color);
  const state = { lastFile: '' };
  const write = (lines: string[]) => {
    if (lines.length === 0) return;
    beforeWrite();
    io.stdout.write(lines.join('\n') + '\n');
  };
  return {
    notice: (text) => write([`${style.dim('note')} ${text}`]),
    problem: (problem) => write([`${style.red('error')} ${problem.message}`]),
    skip: ({ source, why }) => {
      if (verbose) write([`${style.dim('skipped')} ${source}: ${why}`]);
    },
    result: (result) => write(resultLines(result, style, state)),
    finish: (report) => write(['', summaryLine({ ...report, results: [], errors: [] })]),
  };
}

/**
 * The formats written once the input is read (json, sarif, junit): results are kept, each with
 * the few line numbers its findings need, not its parsed document.
 */
export function reportSink(
  io: SinkIo,
  format: Exclude<CheckFormat, 'text'>,
  policy: CompiledPolicy,
  options: FormatOptions,
): Sink {
  const errors: ReadProblem[] = [];
  const results: CheckResult[] = [];
  return {
    notice: () => undefined,
    problem: (problem) => errors.push(problem),
    skip: () => undefined,
    result: (result) => results.push(result),
    finish: (report) =>
      io.stdout.write(formatCheckReport(format, { ...report, results, errors }, policy, options)),
  };
}
