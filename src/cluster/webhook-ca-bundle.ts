// Writes the CA bundle into the server's own webhook configurations, named one by one (RBAC
// grants get and update on those names only). Each configuration is read, and replaced only when
// one of its webhooks carries another bundle, conditional on the resourceVersion read, so a
// kubectl apply in between is never overwritten. Never throws: every configuration that does
// not hold the bundle yet is a problem, and the writer tries again on its next round.
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER, apiFailure } from './certificate-objects.js';
import { abortable, statusOf, withDeadline } from './deadline.js';
import { WebhookKind, refText, type WebhookConfigurationRef } from './webhook-ref.js';

export { WebhookKind, refText, type WebhookConfigurationRef } from './webhook-ref.js';

export interface PublishResult {
  /** Every configuration now holds the bundle. */
  readonly published: boolean;
  /** Configurations this round changed. */
  readonly updated: readonly string[];
  readonly problems: readonly string[];
}

export type CaBundlePublisher = (bundlePem: string) => Promise<PublishResult>;

const REQUEST_MS = 10_000;

interface Configuration {
  metadata?: { resourceVersion?: string };
  webhooks?: { clientConfig: { caBundle?: string } }[];
}

export function caBundlePublisher(
  kc: KubeConfig,
  refs: readonly WebhookConfigurationRef[],
): CaBundlePublisher {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const read = (ref: WebhookConfigurationRef, signal: AbortSignal): Promise<Configuration> =>
    ref.kind === WebhookKind.validating
      ? api.readValidatingWebhookConfiguration({ name: ref.name }, abortable(signal))
      : api.readMutatingWebhookConfiguration({ name: ref.name }, abortable(signal));
  const replace = (
    ref: WebhookConfigurationRef,
    body: Configuration,
    signal: AbortSignal,
  ): Promise<unknown> => {
    const request = { name: ref.name, fieldManager: FIELD_MANAGER };
    return ref.kind === WebhookKind.validating
      ? api.replaceValidatingWebhookConfiguration({ ...request, body: body as never }, abortable(signal))
      : api.replaceMutatingWebhookConfiguration({ ...request, body: body as never }, abortable(signal));
  };

  return async (bundlePem) => {
    const caBundle = Buffer.from(bundlePem).toString('base64');
    const updated: string[] = [];
    const problems: string[] = [];
    for (const ref of refs) {
      const what = refText(ref);
      let verb = 'get';
      try {
        const config = await withDeadline(REQUEST_MS, (signal) => read(ref, signal));
        const webhooks = config.webhooks ?? [];
        if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) continue;
        for (const w of webhooks) w.clientConfig.caBundle = caBundle;
        verb = 'update';
        await withDeadline(REQUEST_MS, (signal) => replace(ref, config, signal));
        updated.push(what);
      } catch (err) {
        problems.push(
          statusOf(err) === 404
            ? `${what} not found: apply the overlay, or name the configurations with --webhook-configurations`
            : apiFailure(verb, what, err).message,
        );
      }
    }
    return { published: problems.length === 0, updated, problems };
  };
}
