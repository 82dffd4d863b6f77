// `exemptImages` globs. `*` stays inside one path segment, `**` crosses segments, `?` is one
// character. A glob is tried against the image as written, its normalised repository name and
// its normalised full reference, so `nginx`, `docker.io/library/nginx` and `registry.k8s.io/**`
// all do what they say.
import { normalizedString, type ImageReference } from './reference.js';

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export type ImageMatcher = (image: string, ref: ImageReference | undefined) => boolean;

export function compileImageGlobs(globs: readonly string[]): ImageMatcher {
  if (globs.length === 0) return () => false;
  const patterns = globs.map(globToRegExp);
  return (image, ref) => {
    const candidates = ref ? [image, ref.name, normalizedString(ref)] : [image];
    return patterns.some((re) => candidates.some((c) => re.test(c)));
  };
}
