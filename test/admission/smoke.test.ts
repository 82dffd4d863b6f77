import t from 'tap';
import { handleReview } from '../../src/admission/handle.js';
import { loadPolicyFile } from '../../src/policy/load.js';

t.test('a pod with an unqualified sprawl image is denied', async (t) => {
  const policy = loadPolicyFile();
  const out = await handleReview(
    {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'homelab',
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'family-assistant:phase2-mcp-logging-fix' }] } },
      },
    },
    'validate',
    { policy },
  );
  t.equal(out.statusCode, 200);
  console.log(JSON.stringify(out.body, null, 1));
});
