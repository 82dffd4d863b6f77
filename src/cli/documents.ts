// Manifests from files, directories and stdin, as Kubernetes objects with where they came from.
// Multi-document YAML, `List` kinds and JSON are read the way kubectl reads them (unquoted `off`
// is a boolean: kubectl-input.ts); a document that kubectl would refuse (a syntax error, a
// duplicate key, a boolean or number where a string is required) is reported as file:line:col and
// the other documents and files are still judged.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { isKubeObject, type KubeObject } from '../kube/workload.js';
import { pointerSteps } from '../json.js';
import { helmSource } from './helm-source.js';
import {
  describeMisread,
  KUBECTL_SCHEMA,
  markPlainScalars,
  MISREADS_SHOWN,
  readAsKubectl,
  type Misread,
} from './kubectl-input.js';

export interface SourceObject {
  /** `path#docIndex`, or `path#docIndex.items[i]` for an item of a List. */
  readonly source: string;
  readonly object: KubeObject;
  /** line:col of a JSON pointer inside this object, when the file says. */
  locate(pointer: string): string | undefined;
  /** The Helm template the document was rendered from (`# Source:` above it), when it says. */
  readonly helmSource?: string;
}

export interface ReadProblem {
  readonly source: string;
  readonly message: string;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** Files to read under each path, directories walked in name order for files matching `pattern`. */
export function expandPaths(paths: readonly string[], problems: ReadProblem[], pattern = MANIFEST): string[] {
  const files: string[] = [];
  const walk = (path: string, explicit: boolean) => {
    let stat;
    try {
      stat = statSync(path);
    } catch (err) {
      problems.push({
        source: path,
        message: `${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      });
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        // Hidden entries and dependency trees are never manifests a team wrote.
        if (!entry.startsWith('.') && entry !== 'node_modules') walk(join(path, entry), false);
      }
    } else if (explicit || pattern.test(path)) {
      files.push(path);
    }
  };
  for (const p of paths) walk(p, true);
  return files;
}

function linePos(lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return `${line}:${col}`;
}

function locator(doc: Document, lines: LineCounter) {
  return (pointer: string): string | undefined => {
    const node = doc.getIn(pointerSteps(pointer), true) as { range?: [number, number, number] } | undefined;
    return node?.range ? linePos(lines, node.range[0]) : undefined;
  };
}

function collect(
  value: unknown,
  source: string,
  locate: SourceObject['locate'],
  into: SourceObject[],
  template?: string,
): void {
  if (!isKubeObject(value)) return; // empty documents between `---` separators
  const rendered = template ? { helmSource: template } : {};
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item: unknown, i: number) => {
      const itemPointer = (p: string) => locate(`/items/${i}${p}`);
      if (isKubeObject(item))
        into.push({ source: `${source}.items[${i}]`, object: item, locate: itemPointer, ...rendered });
    });
    return;
  }
  into.push({ source, object: value, locate, ...rendered });
}

const nowhere = () => undefined;

function misreadProblems(misreads: Misread[], source: string, where: (m: Misread) => string): ReadProblem[] {
  const problems = misreads
    .slice(0, MISREADS_SHOWN)
    .map((m) => ({ source, message: `${where(m)}: ${describeMisread(m)}` }));
  const more = misreads.length - MISREADS_SHOWN;
  if (more > 0)
    problems.push({
      source,
      message: `${where(misreads[MISREADS_SHOWN]!)}: … and ${more} more values kubectl would refuse`,
    });
  return problems;
}

// kubectl's YAML reader (go-yaml) accepts a few things the YAML 1.2 spec does not, such as a
// multi-line quoted scalar whose closing line is indented like its key. js-yaml reads them the same
// way, so a file only the strict parser refuses is read with js-yaml (without line numbers).
function readLeniently(
  text: string,
  name: string,
): { objects: SourceObject[]; problems: ReadProblem[] } | undefined {
  try {
    const objects: SourceObject[] = [];
    const problems: ReadProblem[] = [];
    loadAll(text, null, { schema: KUBECTL_SCHEMA }).forEach((marked, index) => {
      const source = `${name}#${index}`;
      const { value, misreads } = readAsKubectl(marked);
      problems.push(...misreadProblems(misreads, source, () => name));
      if (misreads.length === 0) collect(value, source, nowhere, objects);
    });
    return { objects, problems };
  } catch (err) {
    if (err instanceof YAMLException) return undefined;
    throw err;
  }
}

/** Objects in one file's text; problems name file:line:col. */
export function readManifestText(
  text: string,
  name: string,
): { objects: SourceObject[]; problems: ReadProblem[] } {
  const objects: SourceObject[] = [];
  const problems: ReadProblem[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    merge: true, // go-yaml v2 merges `<<: *anchor` keys, YAML 1.2 has none
  });
  // parseAllDocuments returns an EmptyStream for empty input: nothing to judge.
  if (!Array.isArray(docs)) return { objects, problems };
  const broken = docs.filter((d) => d.errors.length);
  if (broken.length && broken.some((d) => d.errors.some((e) => e.code !== 'DUPLICATE_KEY'))) {
    const lenient = readLeniently(text, name);
    if (lenient) return lenient;
  }
  docs.forEach((doc, index) => {
    const source = `${name}#${index}`;
    const [error] = doc.errors;
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.push({ source, message: `${name}:${line}:${col}: ${message.slice(0, 200)}` });
      return;
    }
    markPlainScalars(doc);
    const { value, misreads } = readAsKubectl(doc.toJS({ maxAliasCount: 100 }));
    problems.push(
      ...misreadProblems(misreads, source, (m) =>
        m.offset === undefined ? name : `${name}:${linePos(lines, m.offset)}`,
      ),
    );
    // kubectl sends none of a document it cannot read: nothing for the webhook to judge.
    if (misreads.length === 0) collect(value, source, locator(doc, lines), objects, helmSource(doc));
  });
  return { objects, problems };
}
