// Which webhook configurations hold the server's CA bundle, as the settings name them. Apart
// from the writer (webhook-ca-bundle.ts), so reading the settings loads no Kubernetes client.
export const WebhookKind = {
  validating: 'validatingwebhookconfiguration',
  mutating: 'mutatingwebhookconfiguration',
} as const;
export type WebhookKind = (typeof WebhookKind)[keyof typeof WebhookKind];

/** `validatingwebhookconfiguration/NAME`, as kubectl names it. */
export interface WebhookConfigurationRef {
  readonly kind: WebhookKind;
  readonly name: string;
}

export const refText = (ref: WebhookConfigurationRef) => `${ref.kind}/${ref.name}`;
