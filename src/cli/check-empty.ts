// What `check` says when the input held no Kubernetes object at all: a pipeline whose
// `helm template` failed must not pass, so the message says what was read instead.
import type { InputRead } from './check-inputs.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function describe({ input, bytes, skipped }: InputRead): string | undefined {
  const { path, kind, files } = input;
  switch (kind) {
    case 'missing':
      return undefined; // already reported in words
    case 'stdin':
      return bytes === 0
        ? 'read 0 bytes from stdin (did the command before the pipe fail?)'
        : `read ${plural(bytes, 'byte')} from stdin, none of it a Kubernetes object`;
    case 'chart':
      return `${path} is a Helm chart, not rendered (see its note)`;
    case 'kustomization':
      return `${path} is a kustomization, not built (see its note)`;
    case 'file':
      return bytes === 0 ? `${path} is empty` : `${path} holds no Kubernetes object`;
    case 'directory':
      if (files.length === 0) return `${path} holds no *.yaml, *.yml or *.json file`;
      return `${path}: ${plural(files.length, 'file')}, none a Kubernetes object${skipped ? ` (${plural(skipped, 'document')} skipped: --verbose lists them)` : ''}`;
  }
}

export function nothingJudged(reads: readonly InputRead[]): string {
  const said = reads.map(describe).filter((text): text is string => text !== undefined);
  const what = said.length ? said.join('; ') : 'nothing could be read';
  return `no Kubernetes object to judge: ${what}. Pass --allow-empty if an empty input is expected`;
}
