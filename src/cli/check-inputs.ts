// What `check` reads for each PATH it is given: stdin, a file, the manifests under a directory.
// Helm charts and kustomizations are not manifests until rendered: their directories are not
// judged (templates and patches are not objects), and the notice says how to render them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { describeFsError } from './fs-errors.js';
import type { ReadProblem } from './documents.js';

const MANIFEST = /\.(ya?ml|json)$/i;
const CHART_FILE = 'Chart.yaml';
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export type InputKind = 'stdin' | 'file' | 'directory' | 'chart' | 'kustomization' | 'missing';

/** One PATH from the command line, and the files it stands for. */
export interface Input {
  readonly path: string;
  readonly kind: InputKind;
  readonly files: readonly string[];
}

/** What reading one input found. */
export interface InputRead {
  readonly input: Input;
  objects: number;
  skipped: number;
  bytes: number;
}

export interface Inputs {
  readonly inputs: readonly Input[];
  /** Charts and kustomizations found, with the command that renders each. */
  readonly notices: readonly string[];
  readonly problems: readonly ReadProblem[];
}

export const renderHint = (kind: 'chart' | 'kustomization', dir: string): string =>
  kind === 'chart'
    ? `${dir} is a Helm chart: its templates are not judged until rendered: helm template RELEASE ${dir} | kube-hygiene check -`
    : `${dir} is a kustomization: its resources are not judged until built: kubectl kustomize ${dir} | kube-hygiene check -`;

function unrendered(dir: string): 'chart' | 'kustomization' | undefined {
  if (existsSync(join(dir, CHART_FILE))) return 'chart';
  if (KUSTOMIZATION_FILES.some((name) => existsSync(join(dir, name)))) return 'kustomization';
  return undefined;
}

/** The chart whose templates/ holds this path, when one does: a template is not an object yet. */
function chartOfTemplate(path: string): string | undefined {
  let child = resolve(path);
  for (let dir = dirname(child); dir !== child; child = dir, dir = dirname(dir)) {
    if (basename(child) === 'templates' && existsSync(join(dir, CHART_FILE))) return dir;
  }
  return undefined;
}

/** The manifests a directory holds, walked in name order; charts and kustomizations found on the way. */
function walk(dir: string, files: string[], notices: string[], problems: ReadProblem[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    problems.push({ source: dir, message: describeFsError(err, dir) });
    return;
  }
  for (const entry of entries) {
    // Hidden entries and dependency trees are never manifests a team wrote.
    if (entry.startsWith('.') || entry === 'node_modules') continue;
    const path = join(dir, entry);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (err) {
      problems.push({ source: path, message: describeFsError(err, path) });
      continue;
    }
    if (!isDirectory) {
      if (MANIFEST.test(entry)) files.push(path);
      continue;
    }
    const found = unrendered(path);
    if (found) notices.push(renderHint(found, path));
    else walk(path, files, notices, problems);
  }
}

export function expandInputs(paths: readonly string[]): Inputs {
  const inputs: Input[] = [];
  const notices: string[] = [];
  const problems: ReadProblem[] = [];
  for (const path of paths) {
    if (path === '-') {
      inputs.push({ path, kind: 'stdin', files: ['-'] });
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (err) {
      problems.push({ source: path, message: describeFsError(err, path) });
      inputs.push({ path, kind: 'missing', files: [] });
      continue;
    }
    const chart = chartOfTemplate(path);
    if (chart) {
      // As the user would name it: relative when under the working directory.
      const shown = relative('.', chart).startsWith('..') ? chart : relative('.', chart) || '.';
      notices.push(renderHint('chart', shown));
      inputs.push({ path: shown, kind: 'chart', files: [] });
      continue;
    }
    // `check chart/Chart.yaml` or `check base/kustomization.yaml` means the directory.
    const named = basename(path);
    const dir = isDirectory ? path : undefined;
    const found = dir
      ? unrendered(dir)
      : named === CHART_FILE
        ? 'chart'
        : KUSTOMIZATION_FILES.includes(named)
          ? 'kustomization'
          : undefined;
    if (found) {
      notices.push(renderHint(found, dir ?? dirname(path)));
      inputs.push({ path: dir ?? dirname(path), kind: found, files: [] });
    } else if (dir) {
      const files: string[] = [];
      walk(dir, files, notices, problems);
      inputs.push({ path, kind: 'directory', files });
    } else {
      inputs.push({ path, kind: 'file', files: [path] });
    }
  }
  return { inputs, notices, problems };
}
