// `check -o json`: the report as data (the shape in DESIGN.md), each finding with the file, line
// and column it points at, and each result with the Helm template it was rendered from.
import type { CheckReport } from './check-output.js';
import { findingLocation } from './check-locations.js';

export function checkJson(report: CheckReport): unknown {
  // The counts of exempt objects and skipped documents are for the text summary line.
  const { files: _files, exempt: _exempt, skippedDocuments: _skipped, results, ...rest } = report;
  return {
    results: results.map((result) => {
      const { locate: _locate, findings, ...fields } = result;
      return {
        ...fields,
        findings: findings.map((finding) => ({ ...finding, ...findingLocation(result, finding.path) })),
      };
    }),
    ...rest,
  };
}
