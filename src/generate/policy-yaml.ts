// policies/default.yaml, written from the policy schema's defaults and the comments beside
// each key (policy/policy-docs.ts for the policy's own keys, each rule's file for its settings):
// the file shows every key with its default value, and reads as documentation.
import { parse } from 'yaml';
import { policySchema, type Policy } from '../policy/schema.js';
import { POLICY_DOCS, POLICY_HEADER } from '../policy/policy-docs.js';
import type { Rule } from '../rules/rule.js';
import type { SettingDoc } from '../rules/settings.js';

interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A scalar as YAML: plain when it reads back as the same string, single-quoted otherwise. */
export function yamlScalar(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  if (value !== '' && /^[\w./@:-]+$/.test(value) && parse(value) === value) return value;
  return `'${value.replaceAll("'", "''")}'`;
}

function comments(indent: string, lines: readonly string[] = []): string[] {
  return lines.map((line) => `${indent}# ${line}`.trimEnd());
}

/** One key with its comments; nested objects and lists in block style, empty ones as {} and []. */
function renderKey(
  key: string,
  schema: SchemaNode | undefined,
  value: unknown,
  doc: SettingDoc,
  indent: string,
  where: string,
): string[] {
  const lines = comments(indent, doc.above);
  const inline = doc.inline ? ` # ${doc.inline}` : '';
  if (isRecord(value) && Object.keys(value).length > 0) {
    if (!schema?.properties) throw new Error(`${where}: a default object needs its keys in the schema`);
    lines.push(`${indent}${key}:${inline}`);
    lines.push(...renderKeys(schema.properties, value, doc.properties ?? {}, `${indent}  `, where));
  } else if (Array.isArray(value) && value.length > 0) {
    lines.push(`${indent}${key}:${inline}`, ...value.map((item) => `${indent}  - ${yamlScalar(item)}`));
  } else {
    const text = isRecord(value) ? '{}' : Array.isArray(value) ? '[]' : yamlScalar(value);
    lines.push(`${indent}${key}: ${text}${inline}`);
  }
  return lines;
}

function renderKeys(
  properties: Readonly<Record<string, SchemaNode>>,
  values: Record<string, unknown>,
  docs: Readonly<Record<string, SettingDoc>>,
  indent: string,
  where: string,
): string[] {
  const stale = Object.keys(docs).filter((key) => !Object.hasOwn(properties, key));
  if (stale.length) throw new Error(`${where}: documented keys ${stale.join(', ')} are not in the schema`);
  return Object.entries(properties).flatMap(([key, schema]) => {
    const doc = docs[key];
    if (!doc) throw new Error(`${where}.${key} has no documentation: add it beside its schema`);
    return renderKey(key, schema, values[key], doc, indent, `${where}.${key}`);
  });
}

function renderRule(rule: Rule, settings: unknown): string[] {
  if (!isRecord(settings)) throw new Error(`rules.${rule.id}: the defaults hold no settings`);
  const { properties } = rule.settings as SchemaNode;
  return [
    ...comments('  ', rule.docs.policy),
    `  ${rule.id}:`,
    ...renderKeys(properties ?? {}, settings, rule.docs.settings, '    ', `rules.${rule.id}`),
  ];
}

/** The policy text for these values (the defaults, or the defaults with another mode). */
export function renderPolicy(values: Policy, rules: readonly Rule[]): string {
  const out = comments('', POLICY_HEADER);
  let previousPlain = false;
  for (const [key, schema] of Object.entries(policySchema.properties as Record<string, SchemaNode>)) {
    const doc = POLICY_DOCS[key];
    if (!doc) throw new Error(`${key} has no documentation: add it to src/policy/policy-docs.ts`);
    const lines =
      key === 'rules'
        ? [
            'rules:',
            ...rules.flatMap((rule, i) => [
              ...(i ? [''] : []),
              ...renderRule(rule, values.rules[rule.id as keyof Policy['rules']]),
            ]),
          ]
        : renderKey(key, schema, values[key as keyof Policy], doc, '', key);
    // Keys stand apart, except a run of plain uncommented ones (apiVersion, kind).
    const plain = lines.length === 1 && !doc.above;
    if (out.length > POLICY_HEADER.length && !(plain && previousPlain)) out.push('');
    out.push(...lines);
    previousPlain = plain;
  }
  return out.join('\n') + '\n';
}
