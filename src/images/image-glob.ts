// `exemptImages` globs. `*` stays inside one path segment, `**` crosses segments, `?` is one
// character. A glob is tried against the image as written, its normalised repository name and
// its normalised full reference, so `nginx`, `docker.io/library/nginx` and `registry.k8s.io/**`
// all do what they say.
//
// Globs run against image strings any Pod author controls, and the API server does not bound
// their length. A backtracking regular expression (`**/acme/**` → `.*\/acme\/.*`) takes
// quadratic time or worse on such input, so globs are matched by stepping a set of glob
// positions over the image once: time is length of image × length of glob, never more.
import { normalizedString, type ImageReference } from './reference.js';

type Token = { kind: 'literal'; char: string } | { kind: 'one' | 'star' | 'globstar' };

function tokenize(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      tokens.push({ kind: 'globstar' });
      i++;
    } else if (c === '*') tokens.push({ kind: 'star' });
    else if (c === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'literal', char: c });
  }
  return tokens;
}

/** Adds position `i` and every position reachable from it without consuming a character. */
function enter(tokens: readonly Token[], states: Uint8Array, i: number): void {
  while (i <= tokens.length && !states[i]) {
    states[i] = 1;
    const kind = tokens[i]?.kind;
    if (kind !== 'star' && kind !== 'globstar') return;
    i++;
  }
}

interface CompiledGlob {
  readonly tokens: readonly Token[];
  /** Literal text every match starts and ends with: most candidates fail on these at once. */
  readonly prefix: string;
  readonly suffix: string;
  // Reused between calls: matching is synchronous, so no two calls overlap.
  readonly current: Uint8Array;
  readonly next: Uint8Array;
}

function literalRun(tokens: readonly Token[]): string {
  let run = '';
  for (const token of tokens) {
    if (token.kind !== 'literal') break;
    run += token.char;
  }
  return run;
}

function compileGlob(glob: string): CompiledGlob {
  const tokens = tokenize(glob);
  const prefix = literalRun(tokens);
  const suffix =
    prefix.length === tokens.length ? '' : [...literalRun([...tokens].reverse())].reverse().join('');
  const size = tokens.length + 1;
  return { tokens, prefix, suffix, current: new Uint8Array(size), next: new Uint8Array(size) };
}

function matches(glob: CompiledGlob, text: string): boolean {
  const { tokens, prefix, suffix } = glob;
  if (!text.startsWith(prefix) || !text.endsWith(suffix)) return false;
  if (prefix.length === tokens.length) return text.length === prefix.length;
  // `registry.k8s.io/**`, the usual shape: the prefix decides.
  if (prefix.length === tokens.length - 1 && tokens.at(-1)!.kind === 'globstar') return true;
  let states = glob.current;
  let next = glob.next;
  states.fill(0);
  enter(tokens, states, 0);
  // Code units on both sides, as tokenize reads the glob.
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    next.fill(0);
    let alive = false;
    for (let i = 0; i < tokens.length; i++) {
      if (!states[i]) continue;
      const token = tokens[i]!;
      const advance = token.kind === 'literal' ? token.char === c : token.kind === 'one' ? c !== '/' : false;
      const stay = token.kind === 'globstar' || (token.kind === 'star' && c !== '/');
      if (stay) enter(tokens, next, i);
      if (advance) enter(tokens, next, i + 1);
      alive ||= stay || advance;
    }
    if (!alive) return false;
    [states, next] = [next, states];
  }
  return states[tokens.length] === 1;
}

export type ImageMatcher = (image: string, ref: ImageReference | undefined) => boolean;

export function compileImageGlobs(globs: readonly string[]): ImageMatcher {
  if (globs.length === 0) return () => false;
  const patterns = globs.map(compileGlob);
  return (image, ref) => {
    const candidates = ref ? [image, ref.name, normalizedString(ref)] : [image];
    return patterns.some((glob) => candidates.some((c) => matches(glob, c)));
  };
}
