// `--policy FILE` and `--mode audit|enforce`, shared by the commands that judge.
import { loadPolicyFile } from '../policy/load.js';
import type { CompiledPolicy, Mode } from '../policy/compile.js';
import { ErrorCode, HygieneError } from '../errors.js';

const MODES: readonly Mode[] = ['enforce', 'audit'];

export function policyFromOptions(file: string | undefined, mode: string | undefined): CompiledPolicy {
  const policy = loadPolicyFile(file);
  if (mode === undefined) return policy;
  if (!MODES.includes(mode as Mode)) {
    throw new HygieneError(ErrorCode.USAGE, `--mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  }
  return { ...policy, mode: mode as Mode };
}
