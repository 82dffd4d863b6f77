// One manifest file through `kube-hygiene fix`: each container image found the way the engine
// finds pod specs, rewritten by replacing exactly that scalar's characters (in its own quoting
// style) and nothing else, so comments, key order, flow or block layout and every other byte
// stay as the user wrote them. Serialising the parsed document instead would not: the `yaml`
// package writes `['Ingress']` back as `[ 'Ingress' ]`. Before a byte is changed the whole file
// must parse, every token of it reproducing the text exactly; after the change the new text is
// parsed again and must hold the same objects with only the rewritten images different.
import { isDeepStrictEqual } from 'node:util';
import { CST, isScalar, LineCounter, Parser, parseAllDocuments, type Document, type Scalar } from 'yaml';
import type { V1PodSpec } from '@kubernetes/client-node';
import { findPodSpecs, groupOf, isKubeObject, type KubeObject } from '../kube/workload.js';
import { pointerSteps } from '../json.js';
import type { ImageLookup } from '../images/image-lookup.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { fixImage } from './fix-image.js';

const LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
// Aliases are expanded for reading, never for writing; this caps what one file can make.
const MAX_ALIAS_COUNT = 100;

export interface ImageChange {
  /** `line:col` of the image in the file as it was. */
  readonly where: string;
  readonly from: string;
  readonly to: string;
}

export interface FixedFile {
  readonly before: string;
  /** The new text; the same as `before` when nothing changed. */
  readonly after: string;
  readonly changes: readonly ImageChange[];
  /** `line:col: what was left undone and why`. */
  readonly left: readonly string[];
  /** Why the file was not touched at all (it cannot be edited losslessly). */
  readonly error?: string;
}

export interface FileFixOptions {
  readonly policy: CompiledPolicy;
  /** A registry lookup per document, with --pin-digests. */
  readonly lookups?: (() => ImageLookup) | undefined;
}

interface ImageSite {
  readonly pointer: string;
  readonly image: string;
  readonly pod: V1PodSpec;
}

/** Kubernetes objects in a document's value, a List's items included, with their JSON pointers. */
function objectsIn(value: unknown): { object: KubeObject; pointer: string }[] {
  if (!isKubeObject(value)) return [];
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return value.items.flatMap((item: unknown, i: number) =>
      isKubeObject(item) ? [{ object: item, pointer: `/items/${i}` }] : [],
    );
  }
  return [{ object: value, pointer: '' }];
}

function imageSites(value: unknown): ImageSite[] {
  const sites: ImageSite[] = [];
  for (const { object, pointer } of objectsIn(value)) {
    if (typeof object.kind !== 'string') continue;
    for (const site of findPodSpecs(object, object.kind, groupOf(object.apiVersion))) {
      for (const list of LISTS) {
        const containers: unknown = site.spec[list];
        if (!Array.isArray(containers)) continue;
        containers.forEach((container: unknown, i) => {
          if (isKubeObject(container) && typeof container.image === 'string')
            sites.push({
              pointer: `${pointer}${site.path}/${list}/${i}/image`,
              image: container.image,
              pod: site.spec,
            });
        });
      }
    }
  }
  return sites;
}

/** The scalar's new source text in its own style; undefined for a style that is not rewritten. */
function rendered(node: Scalar, value: string): string | undefined {
  switch (node.type) {
    case 'PLAIN':
      return value;
    case 'QUOTE_DOUBLE':
      return JSON.stringify(value);
    case 'QUOTE_SINGLE':
      return `'${value.replaceAll("'", "''")}'`;
    default:
      return undefined;
  }
}

function setAt(value: unknown, pointer: string, to: string): void {
  const steps = pointerSteps(pointer);
  let node = value as Record<string, unknown>;
  for (const step of steps.slice(0, -1)) node = node[step] as Record<string, unknown>;
  node[steps.at(-1)!] = to;
}

const readOptions = { uniqueKeys: true, prettyErrors: false, merge: true } as const;

/** Whether every byte of the text belongs to a token the parser read back exactly. */
function readsLosslessly(text: string): boolean {
  let rebuilt = '';
  for (const token of new Parser().parse(text)) rebuilt += CST.stringify(token);
  return rebuilt === text;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export async function fixFile(name: string, text: string, options: FileFixOptions): Promise<FixedFile> {
  const untouched = (error: string): FixedFile => ({
    before: text,
    after: text,
    changes: [],
    left: [],
    error,
  });
  if (!readsLosslessly(text))
    return untouched(`${name}: the YAML reader cannot reproduce this file exactly; left as it is`);
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { ...readOptions, lineCounter: lines });
  if (!Array.isArray(parsed)) return { before: text, after: text, changes: [], left: [] };
  const docs = parsed as Document[];
  for (const doc of docs) {
    const [error] = doc.errors;
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return untouched(`${name}:${line}:${col}: ${message.slice(0, 200)}; left as it is`);
    }
  }
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${name}:${line}:${col}`;
  };

  const edits: Edit[] = [];
  const changes: ImageChange[] = [];
  const left: string[] = [];
  const expected: unknown[] = [];
  const values: unknown[] = [];
  try {
    for (const doc of docs) values.push(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (err) {
    return untouched(`${name}: ${(err as Error).message}; left as it is`);
  }
  for (const [i, doc] of docs.entries()) {
    const value = values[i];
    const want = structuredClone(value);
    expected.push(want);
    const sites = imageSites(value);
    const lookup = sites.length ? options.lookups?.() : undefined;
    for (const site of sites) {
      const node: unknown = doc.getIn(pointerSteps(site.pointer), true);
      const fix = await fixImage(site.image, site.pod, { policy: options.policy, lookup });
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      const where = range ? at(range[0]) : name;
      left.push(...fix.left.map((l) => `${where}: ${l}`));
      if (fix.to === undefined) continue;
      // Written once and read in several places (an alias, a merge key, an anchor): changing it
      // here would change the others too, so it is the user's to change.
      const shared = !isScalar(node) || !node.range || node.anchor !== undefined;
      const source = shared ? undefined : rendered(node as Scalar, fix.to);
      if (source === undefined) {
        left.push(
          `${where}: image "${site.image}" is written through a YAML alias, anchor, merge key or block scalar; write ${fix.to} there by hand`,
        );
        continue;
      }
      const [start, end] = (node as Scalar).range!;
      edits.push({ start, end, text: source });
      changes.push({ where, from: site.image, to: fix.to });
      setAt(want, site.pointer, fix.to);
    }
  }
  if (edits.length === 0) return { before: text, after: text, changes, left };

  // Pieces in file order: one pass over the text however many images change.
  const pieces: string[] = [];
  let position = 0;
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    pieces.push(text.slice(position, edit.start), edit.text);
    position = edit.end;
  }
  pieces.push(text.slice(position));
  const after = pieces.join('');
  const reread = parseAllDocuments(after, readOptions);
  const same =
    Array.isArray(reread) &&
    reread.length === expected.length &&
    reread.every(
      (doc, i) =>
        doc.errors.length === 0 &&
        isDeepStrictEqual(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), expected[i]),
    );
  if (!same)
    return untouched(`${name}: the rewritten file would not read back as the same objects; left as it is`);
  if (/\.json$/i.test(name)) {
    try {
      JSON.parse(after);
    } catch {
      return untouched(`${name}: the rewritten file would not be JSON; left as it is`);
    }
  }
  return { before: text, after, changes, left };
}
