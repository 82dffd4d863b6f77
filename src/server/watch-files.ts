// Noticing that mounted files changed. Kubelet updates Secret and ConfigMap volumes by writing a
// new timestamped directory and renaming the `..data` symlink over the old one, so the file we
// were given never changes in place: watch the directory that holds it (any entry there),
// coalesce bursts, and let the caller compare contents. A slow poll catches what inotify
// misses (a watched directory replaced wholesale, network filesystems).
// https://kubernetes.io/docs/concepts/configuration/secret/#mounted-secrets-are-updated-automatically
import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface WatchOptions {
  /** Quiet time before a burst of events counts as one change (a cert and key written in turn). */
  readonly debounceMs?: number;
  /** Fallback re-check interval; 0 disables it. */
  readonly pollMs?: number;
}

/** Calls `onChange` (debounced) whenever something near `paths` may have changed. Returns a stop function. */
export function watchFiles(
  paths: readonly string[],
  onChange: () => void,
  { debounceMs = 200, pollMs = 30_000 }: WatchOptions = {},
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(paths.map((p) => dirname(resolve(p))))) {
    try {
      const watcher = watch(dir, { persistent: false }, fire);
      // A watcher error (directory deleted) must not crash the process: the poll still runs.
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Directory missing right now: the poll below picks the files up when they appear.
    }
  }
  const poll = pollMs > 0 ? setInterval(onChange, pollMs).unref() : undefined;
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const w of watchers) w.close();
  };
}
