// The policy the server judges with. With --policy FILE (a mounted ConfigMap) the file is
// watched and re-read on change; a new file with mistakes is refused, every mistake logged,
// and the last good policy keeps serving. Without it: the embedded default, never reloaded.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import type { Rule } from '../rules/rule.js';
import { DEFAULT_POLICY_PATH, loadPolicyFile, parsePolicy } from '../policy/load.js';
import { HygieneError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { watchFiles, type WatchOptions } from './watch-files.js';
import { refusedReload, type RefusedReload } from './refused-reload.js';

export interface PolicySource {
  current(): CompiledPolicy;
  /** Where the active policy came from. */
  readonly source: string;
  /** The file as it is now, refused; undefined while the file is the policy serving. */
  refused?(): RefusedReload | undefined;
}

export interface PolicyStore extends PolicySource {
  close(): void;
}

export interface PolicyStoreOptions extends WatchOptions {
  readonly file?: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The rules to compile the policy with (default: every rule); tests pass slow or failing ones. */
  readonly rules?: readonly Rule[];
}

/** Loads the policy (throws HygieneError if the first one is unusable) and watches its file. */
export function openPolicyStore({ file, logger, metrics, rules, ...watch }: PolicyStoreOptions): PolicyStore {
  const source = file ?? DEFAULT_POLICY_PATH;
  const withRules = (p: CompiledPolicy) => (rules ? compilePolicy(p.policy, rules) : p);
  let current = withRules(loadPolicyFile(source));
  let lastText = file ? readFileSync(file, 'utf8') : '';
  metrics.setActivePolicy(current.hash);
  logger.info({ policy: source, hash: current.hash, mode: current.mode }, 'policy loaded');
  if (!file) return { current: () => current, source, close: () => {} };
  let refused: RefusedReload | undefined;
  const accepted = () => {
    if (!refused) return;
    refused = undefined;
    metrics.policyReloadFailed.set(0);
  };

  const reload = () => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      // Mid-swap the file can be briefly missing; the next event or poll reads it.
      logger.debug({ policy: file, reason: (err as Error).message }, 'policy file unreadable right now');
      return;
    }
    if (text === lastText) return;
    lastText = text;
    try {
      const next = withRules(parsePolicy(text, file));
      if (next.hash === current.hash) {
        if (refused) logger.info({ policy: file, hash: current.hash }, 'policy file valid again');
        return accepted();
      }
      accepted();
      const previous = current.hash;
      current = next;
      metrics.setActivePolicy(next.hash);
      metrics.policyReloads.inc({ result: 'ok' });
      logger.info({ policy: file, hash: next.hash, previous, mode: next.mode }, 'policy reloaded');
    } catch (err) {
      metrics.policyReloads.inc({ result: 'refused' });
      metrics.policyReloadFailed.set(1);
      const details = err instanceof HygieneError ? err.details : [];
      const reason = (err as Error).message.split('\n')[0]!;
      refused = refusedReload(file, reason, details);
      logger.error(
        { policy: file, hash: current.hash, code: (err as HygieneError).code, errors: details },
        `new policy refused (${reason}); policy ${current.hash} keeps serving`,
      );
    }
  };
  const stop = watchFiles([file], reload, watch);
  return { current: () => current, source, refused: () => refused, close: stop };
}
