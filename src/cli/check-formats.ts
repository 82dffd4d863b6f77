// The formats `check -o` writes once the input is read: json for scripts, sarif for
// code-scanning UIs, junit for CI test tabs. Text is printed as each document is judged
// (check-sinks.ts).
import type { CompiledPolicy } from '../policy/compile.js';
import type { CheckReport } from './check-output.js';
import { checkJson } from './check-json.js';
import { checkSarif } from './sarif.js';
import { checkJunit } from './junit.js';

export const CHECK_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface FormatOptions {
  /** Warnings fail the run: JUnit reports them as failures. */
  readonly warningsFail?: boolean;
  /** SARIF paths are relative to it. */
  readonly cwd?: string;
}

export function formatCheckReport(
  format: Exclude<CheckFormat, 'text'>,
  report: CheckReport,
  policy: CompiledPolicy,
  options: FormatOptions = {},
): string {
  switch (format) {
    case 'json':
      return JSON.stringify(checkJson(report), null, 2) + '\n';
    case 'sarif':
      return JSON.stringify(checkSarif(report, policy, options.cwd ?? process.cwd()), null, 2) + '\n';
    case 'junit':
      return checkJunit(report, { warningsFail: options.warningsFail === true });
  }
}
