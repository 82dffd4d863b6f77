// The policy file's one source of truth: the JSON Schema below. The TypeScript type is
// derived from it and `policies/schema.json` and `policies/default.yaml` are written from it
// (`npm run generate`), so they can never disagree. Every property has a default: an empty file
// is the default policy.
import type { FromSchema } from 'json-schema-to-ts';
import { exceptionsSchema } from './exceptions.js';
import { RULES, type RULE_DEFINITIONS } from '../rules/index.js';
import type { SettingsSchema } from '../rules/settings.js';

// Each rule owns its `rules.<id>` schema (rules/<id>.ts); the policy's `rules` assembles them in
// the order rules/index.ts lists them.
type ListedRule = (typeof RULE_DEFINITIONS)[number];
type RuleSchemas = { readonly [R in ListedRule as R['id']]: R['settings'] };
const ruleSchemas: Record<string, SettingsSchema> = {};
for (const rule of RULES) ruleSchemas[rule.id] = rule.settings;

// The ids `exceptions` may name: the rules' own.
export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.id);

export const policySchema = {
  $id: 'https://kube-hygiene.io/schemas/policy-v1.json',
  title: 'kube-hygiene policy',
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', const: 'kube-hygiene.io/v1', default: 'kube-hygiene.io/v1' },
    kind: { type: 'string', const: 'Policy', default: 'Policy' },
    mode: {
      type: 'string',
      enum: ['enforce', 'audit'],
      default: 'enforce',
      description:
        'enforce rejects on deny findings; audit never rejects and turns every finding into a warning',
    },
    exemptNamespaces: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: ['kube-system', 'kube-public', 'kube-node-lease'],
    },
    exemptImages: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description: 'globs over the normalised image name: * stays inside one path segment, ** crosses them',
    },
    registries: {
      type: 'object',
      default: {},
      description: 'per registry host as written in images (ghcr.io, 10.0.0.5:30500): how to reach it',
      propertyNames: { type: 'string', pattern: '^[^\\s/]+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          endpoint: {
            type: 'string',
            pattern: '^https?://[^\\s/]+/?$',
            description: 'mirror or override, like containerd hosts.toml: https://mirror.internal:5000',
          },
          insecure: { type: 'boolean', description: 'plain HTTP allowed for this host' },
          caFile: { type: 'string', minLength: 1, description: 'PEM bundle trusted for this host' },
          allowPrivateAddress: {
            type: 'boolean',
            description: 'loopback, private and link-local addresses allowed for this host',
          },
        },
      },
    },
    registryLookup: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        timeoutMs: { type: 'integer', minimum: 50, maximum: 10000, default: 1500 },
        tagTtlSeconds: { type: 'integer', minimum: 0, default: 600 },
        negativeTtlSeconds: { type: 'integer', minimum: 0, default: 15 },
        maxCachedEntries: { type: 'integer', minimum: 10, default: 2000 },
        backoffMaxSeconds: { type: 'integer', minimum: 1, default: 60 },
        dockerConfig: {
          type: 'string',
          default: '',
          description: 'path of a docker config.json whose auths hold pull credentials; empty: anonymous',
        },
        pullSecrets: {
          type: 'boolean',
          // Off by default, like the RBAC of deploy/base: reading Secrets is a grant an operator
          // makes on purpose (deploy/components/pull-secrets), not one an install implies.
          default: false,
          description:
            "use the pod's imagePullSecrets and its ServiceAccount's, read through the API (needs get on secrets and serviceaccounts: deploy/components/pull-secrets)",
        },
      },
    },
    rules: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: ruleSchemas as RuleSchemas,
    },
    exceptions: exceptionsSchema(RULE_IDS),
  },
} as const;

export type Policy = FromSchema<typeof policySchema>;
export type RuleSettings = Policy['rules'];
export type { RuleAction } from '../rules/settings.js';
