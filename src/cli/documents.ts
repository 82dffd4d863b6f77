// Manifests from files, directories and stdin, as Kubernetes objects with where they came from.
// Multi-document YAML, `List` kinds and JSON are read the way kubectl reads them (unquoted `off`
// is a boolean: kubectl-input.ts); a document that kubectl would refuse (a syntax error, a
// duplicate key, a boolean or number where a string is required) is reported as file:line:col and
// the other documents and files are still judged.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import { isCollection, isPair, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { isKubeObject, type KubeObject } from '../kube/workload.js';
import { helmSource } from './helm-source.js';
import { pointerSteps } from '../json.js';
import { describeFsError } from './fs-errors.js';
import { notAnObject, unreadableEnvelope } from './object-shape.js';
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

/** A document that is not a Kubernetes object (values.yaml, a dashboard), and why it was skipped. */
export interface SkippedDocument {
  readonly source: string;
  readonly why: string;
}

export interface ManifestText {
  readonly objects: SourceObject[];
  readonly problems: ReadProblem[];
  readonly skipped: SkippedDocument[];
  /** YAML documents in the text, empty ones included (the next text's first index). */
  readonly documents: number;
}

/** Where a text starts in its file: its first line, and the index of its first document. */
export interface TextStart {
  readonly line: number;
  readonly index: number;
}

const FILE_START: TextStart = { line: 1, index: 0 };

const MANIFEST = /\.(ya?ml|json)$/i;

/** Files to read under each path, directories walked in name order for files matching `pattern`. */
export function expandPaths(paths: readonly string[], problems: ReadProblem[], pattern = MANIFEST): string[] {
  const files: string[] = [];
  const walk = (path: string, explicit: boolean) => {
    let stat;
    try {
      stat = statSync(path);
    } catch (err) {
      problems.push({ source: path, message: describeFsError(err, path) });
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

type LinePos = (offset: number) => string;

function linePosIn(lines: LineCounter, firstLine: number): LinePos {
  return (offset) => {
    const { line, col } = lines.linePos(offset);
    return `${line + firstLine - 1}:${col}`;
  };
}

function locator(doc: Document, linePos: LinePos) {
  return (pointer: string): string | undefined => {
    const node = doc.getIn(pointerSteps(pointer), true) as { range?: [number, number, number] } | undefined;
    return node?.range ? linePos(node.range[0]) : undefined;
  };
}

interface Collected {
  readonly objects: SourceObject[];
  readonly problems: ReadProblem[];
  readonly skipped: SkippedDocument[];
}

function collectOne(
  value: unknown,
  source: string,
  locate: SourceObject['locate'],
  where: (pointer: string) => string,
  into: Collected,
  template?: string,
): void {
  const why = notAnObject(value);
  if (why === null) return; // an empty document between `---` separators
  if (why !== undefined) {
    into.skipped.push({ source, why });
    return;
  }
  const object = value as KubeObject;
  const envelope = unreadableEnvelope(object);
  if (envelope) {
    into.problems.push({ source, message: `${where(envelope.pointer)}: ${envelope.message}` });
    return;
  }
  into.objects.push({ source, object, locate, ...(template && { helmSource: template }) });
}

function collect(
  value: unknown,
  source: string,
  locate: SourceObject['locate'],
  where: (pointer: string) => string,
  into: Collected,
  template?: string,
): void {
  if (
    isKubeObject(value) &&
    typeof value.kind === 'string' &&
    value.kind.endsWith('List') &&
    Array.isArray(value.items)
  ) {
    value.items.forEach((item: unknown, i: number) => {
      const itemPointer = (p: string) => locate(`/items/${i}${p}`);
      const itemWhere = (p: string) => where(`/items/${i}${p}`);
      collectOne(item, `${source}.items[${i}]`, itemPointer, itemWhere, into, template);
    });
    return;
  }
  collectOne(value, source, locate, where, into, template);
}

/** A mapping or list used as a key (`{{ include "x" . }}: 1` in an unrendered template). */
function collectionKeyAt(doc: Document): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (isPair(pair) && isCollection(pair.key)) {
        at = pair.key.range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return at;
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
function readLeniently(text: string, name: string, start: TextStart): ManifestText | undefined {
  try {
    const into: Collected = { objects: [], problems: [], skipped: [] };
    const docs = loadAll(text, null, { schema: KUBECTL_SCHEMA });
    docs.forEach((marked, index) => {
      const source = `${name}#${start.index + index}`;
      const { value, misreads } = readAsKubectl(marked);
      into.problems.push(...misreadProblems(misreads, source, () => name));
      if (misreads.length === 0) collect(value, source, nowhere, () => name, into);
    });
    return { ...into, documents: docs.length };
  } catch (err) {
    if (err instanceof YAMLException) return undefined;
    throw err;
  }
}

/**
 * Objects in a file's text (or in a part of it that starts at `start`); problems name
 * file:line:col; documents that are not Kubernetes objects are skipped, with the reason.
 */
export function readManifestText(text: string, name: string, start: TextStart = FILE_START): ManifestText {
  const into: Collected = { objects: [], problems: [], skipped: [] };
  const lines = new LineCounter();
  const linePos = linePosIn(lines, start.line);
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    merge: true, // go-yaml v2 merges `<<: *anchor` keys, YAML 1.2 has none
    logLevel: 'error', // a collection key is reported below, not as a Node warning
  });
  // parseAllDocuments returns an EmptyStream for empty input: nothing to judge.
  if (!Array.isArray(docs)) return { ...into, documents: 0 };
  const broken = docs.filter((d) => d.errors.length);
  if (broken.length && broken.some((d) => d.errors.some((e) => e.code !== 'DUPLICATE_KEY'))) {
    const lenient = readLeniently(text, name, start);
    if (lenient) return lenient;
  }
  docs.forEach((doc, i) => {
    const source = `${name}#${start.index + i}`;
    const [error] = doc.errors;
    if (error) {
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      into.problems.push({ source, message: `${name}:${linePos(error.pos[0])}: ${message.slice(0, 200)}` });
      return;
    }
    const collectionKey = collectionKeyAt(doc);
    if (collectionKey !== undefined) {
      into.problems.push({
        source,
        message:
          `${name}:${linePos(collectionKey)}: a mapping or list used as a key, which kubectl cannot read ` +
          `(an unrendered template? render it first, e.g. helm template RELEASE CHART | kube-hygiene check -)`,
      });
      return;
    }
    markPlainScalars(doc);
    const { value, misreads } = readAsKubectl(doc.toJS({ maxAliasCount: 100 }));
    into.problems.push(
      ...misreadProblems(misreads, source, (m) =>
        m.offset === undefined ? name : `${name}:${linePos(m.offset)}`,
      ),
    );
    const locate = locator(doc, linePos);
    const where = (pointer: string) => {
      const at = locate(pointer);
      return at ? `${name}:${at}` : name;
    };
    // kubectl sends none of a document it cannot read: nothing for the webhook to judge.
    if (misreads.length === 0) collect(value, source, locate, where, into, helmSource(doc));
  });
  return { ...into, documents: docs.length };
}
