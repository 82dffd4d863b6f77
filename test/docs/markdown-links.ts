// Relative links and anchors in markdown, checked the way GitHub renders them: a link names a
// file or folder that exists, and its #anchor a heading of the file it points at.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface Link {
  /** The file the link is written in, relative to the repository. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** The file's lines with fenced code blocks, HTML comments and inline code blanked out. */
function proseLines(text: string): string[] {
  const lines = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' ')).split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line.replace(/(`+)[\s\S]*?\1/g, (code) => ' '.repeat(code.length));
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown text offers: its headings (numbered when repeated) and `id`s. */
export function anchors(text: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  const raw = text.replace(/<!--[\s\S]*?-->/g, '').split('\n');
  let fence: string | undefined;
  for (const line of raw) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      found.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const [, id] of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(id!);
  }
  return found;
}

/** The relative links of a markdown text: inline `[text](target)` and `[ref]: target` definitions. */
export function relativeLinks(file: string, text: string): Link[] {
  const links: Link[] = [];
  proseLines(text).forEach((line, i) => {
    const targets = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...line.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
    ];
    for (const target of targets)
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//'))
        links.push({ file, line: i + 1, target });
  });
  return links;
}

/**
 * Why a link does not resolve from the repository `root`, or undefined when it does. `ownText` is
 * the text the link is written in, for anchors into the same file.
 */
export function brokenReason(root: string, link: Link, ownText: string): string | undefined {
  const hash = link.target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? link.target : link.target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
  if (path.startsWith('/')) return 'an absolute path: write it relative to the file';
  const resolved = path === '' ? join(root, link.file) : join(root, dirname(link.file), path);
  const fromRoot = relative(root, resolved);
  if (fromRoot.startsWith('..')) return `${fromRoot} is outside the repository`;
  if (!existsSync(resolved)) return `${fromRoot} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
    return `#${anchor} points into ${fromRoot}, which is not a markdown file`;
  const offered = anchors(path === '' ? ownText : readFileSync(resolved, 'utf8'));
  return offered.has(anchor) ? undefined : `${fromRoot} has no heading with the anchor #${anchor}`;
}
