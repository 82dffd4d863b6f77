// What kubectl shows a person, taken apart: the lines of our denial and the `Warning:` lines.
import type { CommandResult } from '../harness/control-plane/control-plane.js';

/** `- [rule] …` lines of every kube-hygiene denial in kubectl's error output, sorted. */
export function denialLines(result: CommandResult): string[] {
  return result.stderr
    .split('\n')
    .filter((line) => /^- \[[a-z-]+\] /.test(line))
    .sort();
}

/** The text of each `Warning: …` line kubectl printed, sorted. */
export function warningLines(result: CommandResult): string[] {
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('Warning: '))
    .map((line) => line.slice('Warning: '.length))
    .sort();
}
