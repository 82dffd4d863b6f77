// Where the cluster is found, what happens when it is not, and what the user is told.
import t from 'tap';
import { chooseConnection, loadKubeConfig } from '../../src/cluster/connection.js';
import { openCluster } from '../../src/policy/open-cluster.js';
import { clusterRuleNotices } from '../../src/policy/cluster-notices.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js';
import { ErrorCode, HygieneError } from '../../src/errors.js';
import { startApiServer } from '../harness/apiserver/server.js';
import { writeKubeconfig } from '../harness/apiserver/kubeconfig.js';

t.test('flag, then KUBECONFIG, then the service account, then none', async (t) => {
  const cluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBECONFIG: '/a:/b' };
  t.same(chooseConnection({ kubeconfig: '/flag', env: cluster, tokenMounted: true }), {
    kind: 'kubeconfig',
    path: '/flag',
  });
  t.same(
    chooseConnection({ env: cluster, tokenMounted: true }),
    { kind: 'kubeconfig', path: '/a' },
    'first KUBECONFIG entry',
  );
  t.same(chooseConnection({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, tokenMounted: true }), {
    kind: 'in-cluster',
  });
  const none = chooseConnection({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, tokenMounted: false });
  t.equal(none.kind, 'none', 'a service host without a mounted token is not a cluster');
  t.equal(
    chooseConnection({ env: { HOME: '/home/me' }, tokenMounted: false }).kind,
    'none',
    '~/.kube/config is never implied',
  );
});

t.test('an unusable kubeconfig is a usage error that says what to do', async (t) => {
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    return undefined;
  };
  const missing = thrown(() => loadKubeConfig({ kind: 'kubeconfig', path: '/nonexistent/kubeconfig' }));
  t.ok(missing instanceof HygieneError);
  t.equal((missing as HygieneError).code, ErrorCode.USAGE);
  t.match((missing as HygieneError).message, /\/nonexistent\/kubeconfig.*--kubeconfig/);
});

t.test('no connection: cluster rules are off, said once per rule; a connection opens a view', async (t) => {
  const none = {
    kind: 'none',
    reason: 'no --kubeconfig, no KUBECONFIG and no in-cluster service account',
  } as const;
  const opened = openCluster(none, loadPolicyFile());
  t.equal(opened.view, undefined);
  t.same(opened.notices, [
    'hpa-target is off: no cluster connection (no --kubeconfig, no KUBECONFIG and no in-cluster service account); pass --kubeconfig or run in a cluster to turn it on',
  ]);
  const ruleOff = parsePolicy('rules:\n  hpa-target:\n    action: off\n', 'off.yaml');
  t.same(clusterRuleNotices(ruleOff, none), [], 'nothing to say about a rule the policy turned off');

  const api = await startApiServer();
  const config = writeKubeconfig(api);
  const connected = openCluster({ kind: 'kubeconfig', path: config.path }, loadPolicyFile(), {
    deadlineMs: 500,
  });
  t.teardown(async () => {
    await connected.view?.stop();
    await api.close();
    config.remove();
  });
  t.same(connected.notices, []);
  t.equal(await connected.view?.waitForSync(5000), true, 'the view syncs through the kubeconfig file');
});
