// What the engine is handed for one request, and what it answers.
import type { WorkBudget } from './work-budget.js';
import type { PatchOperation } from './patch.js';
import type { CompiledPolicy, Mode } from '../policy/compile.js';
import type { ClusterLookup } from '../cluster/lookup.js';
import type { PullCredentials, RegistryLookups } from '../images/image-lookup.js';
import type { Deadline } from '../images/lookup-budget.js';
import type { Finding } from '../rules/rule.js';
import type { ExceptionDeps } from './exceptions.js';

/** With the policy: the clock exceptions expire by, and where used exceptions are noted. */
export interface EngineDeps extends ExceptionDeps {
  readonly policy: CompiledPolicy;
  /** A namespace's own mode (its `kube-hygiene.io/mode` label), when the cluster view knows it. */
  readonly namespaceMode?: (namespace: string) => Mode | 'off' | undefined;
  /** The cluster view (cluster/view.ts), when there is a connection. */
  readonly cluster?: ClusterLookup;
  /** Registry lookups, when on (the server; `check --resolve`). Without them registry rules are off. */
  readonly registry?: RegistryLookups;
  /** A pod's own pull credentials; registry lookups for its images try them first. */
  readonly pullCredentials?: PullCredentials;
  /** The request's time for registry lookups (the server's ?timeout=, the CLI's budget). */
  readonly deadline?: Deadline;
  /** The server's slices and deadline for judging (without: one synchronous run, as in the CLI). */
  readonly work?: WorkBudget;
}

export interface Evaluation {
  readonly findings: readonly Finding[];
  readonly mode: Mode;
  /** Why nothing was judged, when nothing was. */
  readonly skipped?: string;
  /** RFC 6902 operations the mutating rules asked for (mutating endpoint only; empty when none). */
  readonly patch?: readonly PatchOperation[];
}
