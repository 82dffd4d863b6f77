// File-system errors in words: `no such file or directory: PATH`, not `ENOENT`.

const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
};

/** `no such file or directory: PATH`; an error without a known code keeps Node's own words. */
export function describeFsError(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words = code ? WORDS[code] : undefined;
  if (words) return `${words}: ${path}`;
  // Node's message is `CODE: words, syscall 'path'`: keep the words.
  const message = err instanceof Error ? err.message : String(err);
  const stripped = message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${stripped}: ${path}`;
}
