// Where a finding points, as the numbers CI systems want: the file that was read, line and column
// (1-based) of the value the finding's JSON pointer names, and the Helm template it came from.
import type { CheckResult } from './check-output.js';

export interface FindingLocation {
  /** The path as given on the command line (`-` for stdin). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** The file a result was read from: its source without the `#docIndex` suffix. */
export function resultFile(result: Pick<CheckResult, 'source'>): string {
  const hash = result.source.lastIndexOf('#');
  return hash < 0 ? result.source : result.source.slice(0, hash);
}

/**
 * line:column of the pointer, or of its nearest ancestor the file holds: a finding about a value
 * that is missing (a container without `env`) points at the object that lacks it.
 */
export function findingLocation(result: CheckResult, pointer: string): FindingLocation {
  const file = resultFile(result);
  for (let at = pointer; ; at = at.slice(0, at.lastIndexOf('/'))) {
    const found = /^(\d+):(\d+)$/.exec(result.locate(at) ?? '');
    if (found) return { file, line: Number(found[1]), column: Number(found[2]) };
    if (at === '') return { file };
  }
}
