// Every file `npm run generate` writes, computed from the rules and the policy schema: the
// default policy and its copies under deploy/ and charts/, the JSON Schema, and the generated
// tables of README.md and docs/**/*.md. The drift test compares these with what is on disk.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { policyFromValue } from '../policy/load.js';
import { policySchemaDocument } from '../policy/schema-document.js';
import { RULES } from '../rules/index.js';
import type { Rule } from '../rules/rule.js';
import { renderPolicy } from './policy-yaml.js';
import { rulesTable, settingsTable } from './markdown-tables.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const GENERATE_COMMAND = 'npm run generate';

const TABLES: Readonly<Record<string, (rules: readonly Rule[]) => string[]>> = {
  rules: rulesTable,
  settings: settingsTable,
};

const MARKER = /<!-- BEGIN GENERATED: ([\w-]+) -->[\s\S]*?<!-- END GENERATED: \1 -->/g;

/** README.md and every page under docs/, the files that may hold generated tables. */
function markdownPages(root: string): string[] {
  const pages = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  const walk = (dir: string): void => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages.sort();
}

async function withTables(root: string, page: string, rules: readonly Rule[]): Promise<string | undefined> {
  const text = readFileSync(join(root, page), 'utf8');
  const begins = [...text.matchAll(/<!-- BEGIN GENERATED: ([\w-]+) -->/g)].map((m) => m[1]!);
  if (begins.length === 0) return undefined;
  const options = (await prettier.resolveConfig(join(root, page))) ?? {};
  const tables = new Map<string, string>();
  for (const name of begins) {
    const table = TABLES[name];
    if (!table)
      throw new Error(
        `${page}: no generated table is called "${name}" (known: ${Object.keys(TABLES).join(', ')})`,
      );
    const formatted = await prettier.format(table(rules).join('\n'), { ...options, parser: 'markdown' });
    tables.set(name, formatted.trimEnd());
  }
  const replaced = text.replace(
    MARKER,
    (_, name: string) =>
      `<!-- BEGIN GENERATED: ${name} -->\n\n${tables.get(name)!}\n\n<!-- END GENERATED: ${name} -->`,
  );
  const unclosed = begins.filter((name) => !replaced.includes(`<!-- END GENERATED: ${name} -->`));
  if (unclosed.length)
    throw new Error(`${page}: <!-- BEGIN GENERATED: ${unclosed[0]} --> has no matching END marker`);
  return replaced;
}

/** Path (relative to the repository) → the content it must have. */
export async function generatedFiles(
  root: string = REPO_ROOT,
  rules: readonly Rule[] = RULES,
): Promise<Map<string, string>> {
  const defaults = policyFromValue({}, 'the defaults').policy;
  const policy = renderPolicy(defaults, rules);
  const files = new Map<string, string>([
    ['policies/default.yaml', policy],
    ['policies/schema.json', policySchemaDocument()],
    // kustomize and helm read no file outside their roots: both carry copies.
    ['deploy/base/policy.yaml', policy],
    ['deploy/components/audit/policy.yaml', renderPolicy({ ...defaults, mode: 'audit' }, rules)],
    ['charts/kube-hygiene/files/policy.yaml', policy],
  ]);
  for (const page of markdownPages(root)) {
    const text = await withTables(root, page, rules);
    if (text !== undefined) files.set(relative(root, join(root, page)), text);
  }
  return files;
}
