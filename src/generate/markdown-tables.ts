// The docs' rules table and per-rule settings table, from the rules themselves. They are written
// between `<!-- BEGIN GENERATED: <name> -->` and `<!-- END GENERATED: <name> -->` in any page
// that holds those markers, so prose around them stays hand-written.
import { Endpoint, type Rule } from '../rules/rule.js';
import type { SettingDoc } from '../rules/settings.js';

interface SchemaNode {
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** A row per rule: id, what it catches, its default action, the endpoints it runs on. */
export function rulesTable(rules: readonly Rule[]): string[] {
  return [
    '| id | what it catches | default | endpoints |',
    '| --- | --- | --- | --- |',
    ...rules.map((rule) => {
      const action = (rule.settings.properties.action as SchemaNode).default;
      const endpoints = (rule.endpoints ?? [Endpoint.validate]).map((e) => `\`${e}\``).join(', ');
      return `| \`${rule.id}\` | ${cell(rule.docs.catches)} | \`${String(action)}\` | ${endpoints} |`;
    }),
  ];
}

// Long lists show their first few entries: the table says what kind of value goes there.
const LIST_SHOWN = 5;

function defaultText(value: unknown): string {
  if (Array.isArray(value)) {
    const shown = value.slice(0, LIST_SHOWN).map(String);
    if (value.length > LIST_SHOWN) shown.push('…');
    return `\`[${shown.join(', ')}]\``;
  }
  if (value === '') return "`''`";
  if (typeof value === 'object' && value !== null) return '`{}`';
  return `\`${String(value)}\``;
}

function settingRows(
  prefix: string,
  properties: Readonly<Record<string, SchemaNode>>,
  docs: Readonly<Record<string, SettingDoc>>,
): string[] {
  return Object.entries(properties).flatMap(([key, schema]) => {
    const doc = docs[key];
    const name = `${prefix}.${key}`;
    if (schema.properties && doc?.properties) return settingRows(name, schema.properties, doc.properties);
    if (!doc?.meaning)
      throw new Error(`${name} has no meaning for the settings table: add it beside its schema`);
    return [`| \`${name}\` | ${defaultText(schema.default)} | ${cell(doc.meaning)} |`];
  });
}

/** A row per setting of every rule (nested objects by their keys): key, default, meaning. */
export function settingsTable(rules: readonly Rule[]): string[] {
  return [
    '| key | default | meaning |',
    '| --- | --- | --- |',
    ...rules.flatMap((rule) =>
      settingRows(
        `rules.${rule.id}`,
        rule.settings.properties as Record<string, SchemaNode>,
        rule.docs.settings,
      ),
    ),
  ];
}
