// `check -o sarif`: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) for code-scanning
// UIs. One rule descriptor per rule the policy runs, with its description as help text; one
// result per finding, located in the file that was read (relative to the working directory, so
// a run from the repository root matches the repository's paths) or in the Helm template the
// document was rendered from.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompiledPolicy } from '../policy/compile.js';
import { RULES } from '../rules/index.js';
import { VERSION } from '../version.js';
import type { CheckReport, CheckResult, CheckFinding } from './check-output.js';
import { findingLocation } from './check-locations.js';
import { skippedText } from './registry-options.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = 'SRCROOT';

type Level = 'error' | 'warning';
const levelOf = (action: CheckFinding['action']): Level => (action === 'deny' ? 'error' : 'warning');

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** A path under the working directory as a relative URI on SRCROOT, anything else as file://. */
function artifact(path: string, cwd: string): ArtifactLocation {
  const absolute = resolve(cwd, path);
  const rel = relative(cwd, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function ruleDescriptors(policy: CompiledPolicy, results: readonly CheckResult[]) {
  const configured = new Map<string, string>(policy.rules.map(({ rule, action }) => [rule.id, action]));
  // A finding of a rule the policy turned off (an invalid reference is always reported) still
  // needs its descriptor.
  const reported = new Set(results.flatMap((r) => r.findings.map((f) => f.rule)));
  return RULES.filter((rule) => configured.has(rule.id) || reported.has(rule.id)).map((rule) => {
    const action = configured.get(rule.id) ?? 'off';
    // Audit mode only warns: a rule set to deny reports warnings in this run.
    const level =
      action === 'off' ? undefined : policy.mode === 'audit' ? 'warning' : levelOf(action as 'deny' | 'warn');
    return {
      id: rule.id,
      name: rule.id,
      // The rule's own docs (rules/<id>.ts), as the rules table and the default policy show them.
      shortDescription: { text: plain(rule.docs.catches), markdown: rule.docs.catches },
      fullDescription: { text: rule.docs.policy.join(' ') },
      help: {
        text: `${rule.docs.policy.join(' ')} The policy sets rules.${rule.id}.action (deny, warn or off); it is ${action} here.`,
      },
      defaultConfiguration: level ? { level } : { enabled: false },
      properties: { tags: ['kubernetes'] },
    };
  });
}

/** Markdown's inline code marks dropped, for viewers that show text only. */
const plain = (markdown: string) => markdown.replaceAll('`', '');

function locations(result: CheckResult, finding: CheckFinding, cwd: string) {
  const where = findingLocation(result, finding.path);
  const region =
    where.line !== undefined ? { region: { startLine: where.line, startColumn: where.column } } : {};
  const logical = {
    name: result.name || '(unnamed)',
    fullyQualifiedName: [result.kind, result.namespace, result.name].filter(Boolean).join('/'),
    kind: 'resource',
  };
  const read = where.file === '-' ? undefined : { artifactLocation: artifact(where.file, cwd), ...region };
  // The rendered stream's line numbers mean nothing in the template: the template is named
  // without a region, and the place in the rendered file is kept as a related location.
  if (result.helmSource) {
    return {
      locations: [
        {
          physicalLocation: { artifactLocation: artifact(result.helmSource, cwd) },
          logicalLocations: [logical],
        },
      ],
      ...(read && {
        relatedLocations: [
          { id: 1, physicalLocation: read, message: { text: 'where it was read (rendered)' } },
        ],
      }),
    };
  }
  return { locations: [{ ...(read && { physicalLocation: read }), logicalLocations: [logical] }] };
}

export function checkSarif(report: CheckReport, policy: CompiledPolicy, cwd: string): unknown {
  const rules = ruleDescriptors(policy, report.results);
  const ruleIndex = new Map<string, number>(rules.map((rule, i) => [rule.id, i]));
  const results = report.results.flatMap((result) =>
    result.findings.map((finding) => ({
      ruleId: finding.rule,
      ruleIndex: ruleIndex.get(finding.rule),
      level: levelOf(finding.action),
      message: {
        text: `${result.kind} ${[result.namespace, result.name].filter(Boolean).join('/')}: ${finding.message}`,
      },
      ...locations(result, finding, cwd),
      properties: { pointer: finding.path },
    })),
  );
  const configurationNotes = [
    ...report.notices,
    ...(report.summary.skipped.length ? [skippedText(report.summary.skipped)] : []),
  ];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'kube-hygiene', version: VERSION, semanticVersion: VERSION, rules },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd.endsWith(sep) ? cwd : cwd + sep).href } },
        columnKind: 'utf16CodeUnits',
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((problem) => ({
              level: 'error',
              message: { text: problem.message },
            })),
            toolConfigurationNotifications: configurationNotes.map((text) => ({
              level: 'note',
              message: { text },
            })),
          },
        ],
        results,
      },
    ],
  };
}
