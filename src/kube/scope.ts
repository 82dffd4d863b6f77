// Kinds the API server keeps outside any namespace. Offline, a manifest alone does not say which
// kinds those are (the API server's discovery does): this is the list for the built-in groups,
// checked against a real API server's `kubectl api-resources --namespaced=false` by the e2e
// tests. A custom kind is taken as namespaced, as most are.
const CLUSTER_SCOPED: ReadonlyMap<string, readonly string[]> = new Map([
  ['', ['ComponentStatus', 'Namespace', 'Node', 'PersistentVolume']],
  [
    'admissionregistration.k8s.io',
    [
      'MutatingAdmissionPolicy',
      'MutatingAdmissionPolicyBinding',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
    ],
  ],
  ['apiextensions.k8s.io', ['CustomResourceDefinition']],
  ['apiregistration.k8s.io', ['APIService']],
  ['authentication.k8s.io', ['SelfSubjectReview', 'TokenReview']],
  ['authorization.k8s.io', ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview']],
  ['certificates.k8s.io', ['CertificateSigningRequest', 'ClusterTrustBundle']],
  ['flowcontrol.apiserver.k8s.io', ['FlowSchema', 'PriorityLevelConfiguration']],
  ['internal.apiserver.k8s.io', ['StorageVersion']],
  ['networking.k8s.io', ['IPAddress', 'IngressClass', 'ServiceCIDR']],
  ['node.k8s.io', ['RuntimeClass']],
  ['rbac.authorization.k8s.io', ['ClusterRole', 'ClusterRoleBinding']],
  ['resource.k8s.io', ['DeviceClass', 'DeviceTaintRule', 'ResourceSlice']],
  ['scheduling.k8s.io', ['PriorityClass']],
  ['storage.k8s.io', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment', 'VolumeAttributesClass']],
  ['storagemigration.k8s.io', ['StorageVersionMigration']],
]);

/** Whether objects of this built-in kind live outside any namespace (`group` '' is the core group). */
export function isClusterScoped(group: string, kind: string): boolean {
  return CLUSTER_SCOPED.get(group)?.includes(kind) ?? false;
}

/** Every built-in cluster-scoped kind, as `kind.group` (`Node.`, `ClusterRole.rbac.authorization.k8s.io`). */
export const CLUSTER_SCOPED_KINDS: readonly string[] = [...CLUSTER_SCOPED].flatMap(([group, kinds]) =>
  kinds.map((kind) => `${kind}.${group}`),
);
