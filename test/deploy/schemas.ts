// Validation of rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models, one
// generated validator per kind) and the cert-manager / prometheus-operator CRD schemas.
import * as kubernetes from 'kubernetes-models';
import * as certManager from '@kubernetes-models/cert-manager';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import type { KubeObject } from './render.js';

type Model = new (data: unknown) => { validate(): void };
type Group = Record<string, Record<string, Model | undefined> | undefined>;
const GROUPS = { ...kubernetes, ...certManager, ...prometheusOperator } as unknown as Record<string, Group>;

/** `admissionregistration.k8s.io` → `admissionregistrationK8sIo`, as the packages name them. */
const groupKey = (group: string) => group.replace(/[.-]([a-z])/g, (_, c: string) => c.toUpperCase());

/** The model class of an apiVersion/kind; throws when no schema is known (an unknown kind is a bug). */
export function modelOf(apiVersion: string, kind: string): Model {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  // The core group ("v1") sits at the top level: its versions are kinds.
  const model =
    group === ''
      ? (GROUPS[version!] as unknown as Record<string, Model> | undefined)?.[kind]
      : GROUPS[groupKey(group!)]?.[version!]?.[kind];
  if (!model) throw new Error(`no OpenAPI schema known for ${apiVersion} ${kind}`);
  return model;
}

/** Every schema violation of the object, as text ('' when valid). */
export function schemaErrors(object: KubeObject): string {
  try {
    new (modelOf(object.apiVersion, object.kind))(object).validate();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}
