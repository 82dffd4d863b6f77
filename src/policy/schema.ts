// The policy file's one source of truth: the JSON Schema below. The TypeScript type is
// derived from it and `policies/schema.json` is written from it (`npm run schema`), so the
// three can never disagree. Every property has a default: an empty file is the default policy.
import type { FromSchema } from 'json-schema-to-ts';
import { exceptionsSchema } from './exceptions.js';

const action = (fallback: 'deny' | 'warn') =>
  ({
    type: 'string',
    enum: ['deny', 'warn', 'off'],
    default: fallback,
    description: 'deny rejects the request (in enforce mode), warn only warns, off skips the rule',
  }) as const;

export const DEFAULT_MUTABLE_TAGS = [
  'latest',
  'stable',
  'main',
  'master',
  'dev',
  'develop',
  'development',
  'edge',
  'nightly',
  'head',
  'current',
  'prod',
  'production',
  'staging',
  'test',
  'testing',
  'release',
  'snapshot',
  'canary',
  'beta',
  'alpha',
  'rc',
  'lts',
  'unstable',
  'trunk',
  'next',
] as const;

// The ids `exceptions` may name: the keys of `rules` below (test/policy/exceptions.test.ts keeps them equal).
export const RULE_IDS = [
  'image-registry',
  'image-tag',
  'image-pull-policy',
  'hpa-target',
  'pod-identity-env',
  'node-arch',
  'image-exists',
  'image-digest',
] as const;

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
      properties: {
        'image-registry': {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            action: action('deny'),
            allowedRegistries: {
              type: 'array',
              items: {
                type: 'string',
                minLength: 1,
                pattern: '^[^\\s/*?]+(/[^\\s/*?@:]+)*$',
                description:
                  'a registry host with an optional path prefix, without wildcards (ghcr.io/acme admits ghcr.io/acme/api and everything else under it)',
              },
              default: [],
              description: 'host[:port][/path-prefix]; empty means any registry, as long as one is named',
            },
          },
        },
        'image-tag': {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            action: action('deny'),
            mutableTags: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              default: DEFAULT_MUTABLE_TAGS,
            },
            floatingVersions: { type: 'string', enum: ['mutable', 'accept'], default: 'mutable' },
            accept: {
              type: 'object',
              additionalProperties: false,
              default: {},
              properties: {
                semver: { type: 'boolean', default: true },
                versionVariant: { type: 'boolean', default: true },
                commit: { type: 'boolean', default: true },
                versionCommit: { type: 'boolean', default: true },
                date: { type: 'boolean', default: true },
                build: { type: 'boolean', default: true },
              },
            },
            extraVersionPatterns: {
              type: 'array',
              items: { type: 'string', format: 'regex' },
              default: [],
              description: 'regular expressions (whole tag) that also name one build, for team conventions',
            },
          },
        },
        'image-pull-policy': {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { action: action('warn') },
        },
        'hpa-target': {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { action: action('warn') },
          description: 'judged against the live cluster; off when there is no cluster connection',
        },
        'pod-identity-env': {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            action: {
              type: 'string',
              enum: ['warn', 'off'],
              default: 'warn',
              description: 'warn injects (and previews on templates); off leaves containers alone',
            },
            containers: {
              type: 'string',
              enum: ['sidecars', 'all'],
              default: 'sidecars',
              description:
                'sidecars: every container but the main one, plus native sidecars; all: every container',
            },
            mutateTemplates: {
              type: 'boolean',
              default: false,
              description:
                'also write the variables into workload templates (GitOps tools will report drift)',
            },
          },
        },
        'node-arch': {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'pin pods to the architectures (and OS) their images are built for, asked of each registry',
          properties: {
            action: action('deny'),
            onLookupFailure: {
              type: 'string',
              enum: ['allow', 'deny'],
              default: 'allow',
              description:
                'when a registry cannot answer (timeout, auth, blocked address): allow with a warning, or deny',
            },
            amd64LevelLabel: {
              type: 'string',
              default: '',
              pattern: '^$|^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
              description:
                'node label holding the x86-64 level (v1..v4) of amd64 nodes; amd64-only pods whose images need v2+ are pinned to it. Empty: levels are not judged',
            },
          },
        },
        'image-exists': {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'the registry says the tag or digest was never pushed',
          properties: { action: action('warn') },
        },
        'image-digest': {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'pin repo:tag to repo:tag@sha256:… on Pod CREATE, as resolved at admission',
          properties: {
            action: {
              type: 'string',
              enum: ['warn', 'off'],
              default: 'off',
              description:
                'warn pins Pods (and warns when a tag cannot be resolved); off leaves images alone',
            },
          },
        },
      },
    },
    exceptions: exceptionsSchema(RULE_IDS),
  },
} as const;

export type Policy = FromSchema<typeof policySchema>;
export type RuleSettings = Policy['rules'];
export type RuleAction = 'deny' | 'warn' | 'off';
