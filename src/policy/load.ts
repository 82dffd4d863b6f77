// Reading a policy file: YAML in, a compiled policy out, or every mistake with its path and
// line ("policy.yaml:12:7: rules.image-tag.mutableTags[2]: must be string") — never just the first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { policySchema, type Policy } from './schema.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { isCalendarDate } from './exceptions.js';
import { ErrorCode, HygieneError } from '../errors.js';
import { describeSchemaError, dottedPath } from '../schema-errors.js';

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../policies/default.yaml', import.meta.url));

// verbose: errors carry their schema, whose description explains a failed pattern.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
ajv.addFormat('regex', (s: string) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
});
// JSON Schema's full-date (RFC 3339): YYYY-MM-DD, and a day the calendar has (not 2026-02-30).
ajv.addFormat('date', isCalendarDate);
const validatePolicy = ajv.compile<Policy>(policySchema);

function position(doc: Document, lines: LineCounter, steps: readonly string[], atKey = false): string {
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${line}:${col}`;
  };
  if (atKey && steps.length) {
    const parent = doc.getIn(steps.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === steps.at(-1));
      if (isScalar(pair?.key) && pair.key.range) return at(pair.key.range[0]);
    }
  }
  for (let n = steps.length; n >= 0; n--) {
    const node = doc.getIn(steps.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return at(node.range[0]);
  }
  return '1:1';
}

type Locate = (steps: readonly string[], atKey?: boolean) => string;

function validated(data: unknown, source: string, locate: Locate): CompiledPolicy {
  if (!validatePolicy(data)) {
    const details = (validatePolicy.errors ?? []).map((e) => {
      const { steps, text: msg, atKey } = describeSchemaError(e);
      return `${locate(steps, atKey)}${dottedPath(steps)}: ${msg}`;
    });
    throw new HygieneError(
      ErrorCode.POLICY_INVALID,
      `policy ${source} has ${details.length} error(s)`,
      details,
    );
  }
  return compilePolicy(data);
}

/** Validates policy text; throws HygieneError(POLICY_INVALID) listing every mistake. */
export function parsePolicy(text: string, source: string): CompiledPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const details = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return `${source}:${line}:${col}: ${e.message.split('\n')[0]}`;
    });
    throw new HygieneError(ErrorCode.POLICY_INVALID, `policy ${source} is not valid YAML`, details);
  }
  return validated(
    doc.toJS() ?? {},
    source,
    (steps, atKey) => `${source}:${position(doc, lines, steps, atKey)}: `,
  );
}

/** Validates a policy that is already data (an inline policy in a test file). */
export function policyFromValue(value: unknown, source: string): CompiledPolicy {
  return validated(structuredClone(value ?? {}), source, () => `${source}: `);
}

export function loadPolicyFile(path: string = DEFAULT_POLICY_PATH): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HygieneError(
      ErrorCode.POLICY_UNREADABLE,
      `cannot read policy ${path}: ${(err as Error).message}`,
    );
  }
  return parsePolicy(text, path);
}
