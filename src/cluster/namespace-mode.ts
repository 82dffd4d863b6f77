// The per-namespace override: label a Namespace `kube-hygiene.io/mode` enforce, audit or "off"
// (quoted in YAML: kubectl reads a bare off as false) to move one team at a time. Any other value is ignored (the policy's mode applies).
import { MODE_LABEL } from './slim.js';

export const NamespaceMode = { enforce: 'enforce', audit: 'audit', off: 'off' } as const;
export type NamespaceMode = (typeof NamespaceMode)[keyof typeof NamespaceMode];

export function namespaceModeOf(
  labels: Readonly<Record<string, string>> | undefined,
): NamespaceMode | undefined {
  const value = labels?.[MODE_LABEL];
  return value !== undefined && Object.hasOwn(NamespaceMode, value) ? (value as NamespaceMode) : undefined;
}
