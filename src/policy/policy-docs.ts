// The comments of policies/default.yaml for the policy's own keys (each rule documents its
// settings in its file). Every key of policySchema needs an entry: `npm run generate` refuses
// a key without one.
import type { SettingDoc } from '../rules/settings.js';

export const POLICY_HEADER = [
  'kube-hygiene policy: the embedded default. Every key is shown with its default value;',
  'a policy file only needs the keys it changes. Schema: policies/schema.json.',
];

export const POLICY_DOCS: Readonly<Record<string, SettingDoc>> = {
  apiVersion: {},
  kind: {},
  mode: {
    above: [
      'enforce: deny findings reject the request; warn findings become kubectl warnings.',
      'audit:   nothing is rejected; every finding becomes a warning, audit annotation and metric.',
    ],
  },
  exemptNamespaces: { above: ['Objects in these namespaces are never judged.'] },
  exemptImages: {
    above: [
      'Images no image rule judges. Globs over the image as written and its normalised name:',
      '"*" stays inside one path segment, "**" crosses them, e.g. "registry.k8s.io/**".',
    ],
  },
  registries: {
    above: [
      'How to reach registries, per host as written in images (docker.io for Docker Hub). Keys:',
      '  endpoint: https://mirror.internal:5000   # mirror / pull-through cache, like containerd hosts.toml',
      '  insecure: false                          # true: plain HTTP allowed for this host',
      "  caFile: /etc/kube-hygiene/ca.pem         # PEM bundle to trust for this host's TLS",
      '  allowPrivateAddress: false               # true: loopback/private/link-local addresses allowed',
      'Registry lookups never connect to loopback, link-local (169.254.0.0/16: cloud metadata),',
      'private, CGNAT, ULA or IPv4-mapped addresses unless the host itself has allowPrivateAddress.',
      'A redirect target or a token service on another private host needs its own entry.',
      'Example: { "10.0.0.5:30500": { insecure: true, allowPrivateAddress: true } }',
    ],
  },
  registryLookup: {
    above: ['Registry lookups (image platforms, image existence).'],
    properties: {
      timeoutMs: { inline: 'budget of one lookup: tag HEAD + manifest + config blob' },
      tagTtlSeconds: { inline: "how long a tag's digest is trusted before asking again" },
      negativeTtlSeconds: { inline: 'how long a failed lookup is remembered' },
      maxCachedEntries: { inline: 'entries kept per cache (content by digest never expires otherwise)' },
      backoffMaxSeconds: { inline: 'longest rest given to a registry that answered 429/5xx' },
      dockerConfig: { inline: "path of a docker config.json with pull credentials (auths); '' = anonymous" },
      pullSecrets: {
        above: [
          "With a cluster connection: also use the pod's imagePullSecrets and its ServiceAccount's",
          '(read through the API). true needs get on secrets and serviceaccounts: add',
          'deploy/components/pull-secrets to the install. false: never read secrets.',
        ],
      },
    },
  },
  // Each rule's entry comes from the rule itself.
  rules: {},
  exceptions: {
    above: [
      'Findings excused for a while, each with a reason, an owner and an expiry date (UTC, the day',
      'itself included): a covered denial becomes a warning naming the exception; after its day it',
      'is denied again and says the exception expired. docs/exceptions.md has the fields and examples.',
    ],
  },
};
