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
 * The pointer, or its nearest ancestor, that the file holds, with its `line:col`: a finding about
 * a value that is missing (a container without `env`) points at the object that lacks it.
 */
export function nearestLocated(
  pointer: string,
  locate: (pointer: string) => string | undefined,
): { readonly at: string; readonly where: string } | undefined {
  for (let at = pointer; ; at = at.slice(0, at.lastIndexOf('/'))) {
    const where = locate(at);
    if (where) return { at, where };
    if (at === '') return undefined;
  }
}

/** Line and column of the value a finding's pointer names, or of its nearest ancestor. */
export function findingLocation(result: CheckResult, pointer: string): FindingLocation {
  const file = resultFile(result);
  const found = /^(\d+):(\d+)$/.exec(nearestLocated(pointer, result.locate)?.where ?? '');
  return found ? { file, line: Number(found[1]), column: Number(found[2]) } : { file };
}
