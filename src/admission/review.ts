// The AdmissionReview envelope (admission.k8s.io/v1), checked once per request with a schema
// compiled at start-up. Only the envelope is checked: the object inside is whatever the API
// server already validated, and rules read it defensively.
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
import { Ajv } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { formatSchemaErrors } from '../schema-errors.js';
import type { KubeObject } from '../kube/workload.js';

const gvk = {
  type: 'object',
  required: ['version', 'kind'],
  properties: {
    group: { type: 'string' },
    version: { type: 'string' },
    kind: { type: 'string', minLength: 1 },
  },
} as const;

export const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: 'admission.k8s.io/v1' },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'operation'],
      properties: {
        uid: { type: 'string', minLength: 1, maxLength: 256 },
        kind: gvk,
        requestKind: gvk,
        subResource: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        userInfo: {
          type: 'object',
          properties: { username: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } },
        },
        object: { type: ['object', 'null'] },
        oldObject: { type: ['object', 'null'] },
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;

type Envelope = FromSchema<typeof admissionReviewSchema>;
// The schema types the envelope; the objects inside are narrowed to what rules can rely on.
export type AdmissionRequest = Envelope['request'] & {
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
};
export type AdmissionReview = Envelope & { request: AdmissionRequest };

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  patch?: string;
  patchType?: 'JSONPatch';
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

const validateEnvelope = new Ajv({ allErrors: true, strict: false }).compile(admissionReviewSchema);

/** Problems with the envelope, one line each; empty when it is a usable review. */
export function checkReview(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return ['the body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)'];
  }
  return validateEnvelope(body) ? [] : formatSchemaErrors(validateEnvelope.errors);
}
