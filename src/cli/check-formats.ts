// The formats `check -o` writes: text for people, json for scripts, sarif for code-scanning UIs,
// junit for CI test tabs.
import type { CompiledPolicy } from '../policy/compile.js';
import { formatCheckText, type CheckReport } from './check-output.js';
import { checkJson } from './check-json.js';
import { checkSarif } from './sarif.js';
import { checkJunit } from './junit.js';

export const CHECK_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface FormatOptions {
  /** Colour the text output. */
  readonly color?: boolean;
  /** Warnings fail the run: JUnit reports them as failures. */
  readonly warningsFail?: boolean;
  /** SARIF paths are relative to it. */
  readonly cwd?: string;
}

export function formatCheckReport(
  format: CheckFormat,
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
    case 'text':
      return formatCheckText(report, options.color === true);
  }
}
