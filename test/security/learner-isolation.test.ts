import { rm } from 'node:fs/promises';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesOf } from '../../server/lab/isolation/processes.ts';
import type { RunningServer } from '../helpers/server.ts';
import { classDataDir, clusterPort, isRoot, learner, startClassServer, type Learner } from './class-server.ts';

/**
 * Learner A attacks learner B from A's lab terminal, on the default start (`npm start` as
 * root on loopback). Every test names the attack and asserts it is refused.
 */
if (!isRoot && process.env.CI === 'true') throw new Error('the adversarial suite must run as root in CI');

const maxPods = 200;

describe.runIf(isRoot)('class server as root: learner A attacks learner B from A’s shell', () => {
  let dataDir: string;
  let server: RunningServer;
  let a: Learner;
  let b: Learner;
  let bSleep: number;
  const canary = 'canary: the server’s own file\n';
  let canaryPath: string;

  beforeAll(async () => {
    dataDir = await classDataDir();
    // Smaller cluster quotas than the defaults keep the flood attacks light on a shared machine;
    // the defaults are measured by `npm run bench` (Noisy neighbour).
    server = await startClassServer(dataDir, ['--cluster-pods', String(maxPods), '--cluster-bytes', '16M']);
    a = await learner(server.url);
    b = await learner(server.url);
    // A process of B's to look for and signal.
    await b.shell.exec('sleep 600 & echo started');
    const uidB = Number((await b.shell.exec('id -u')).out.trim());
    bSleep = processesOf(uidB).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'))!;
    // A root-only file of the server's (where a followed symlink would write or leak).
    canaryPath = join(dataDir, 'canary');
    writeFileSync(canaryPath, canary, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    await a?.shell.close();
    await b?.shell.close();
    await server?.stop();
    // Stopped servers have unmounted every HOME; nothing of the class is left on the machine.
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('root in the shell: A runs as an unprivileged uid with no capabilities and no_new_privs', async () => {
    const uid = await a.shell.exec('id -u');
    expect(Number(uid.out.trim())).toBeGreaterThan(0);
    const status = (await a.shell.exec('grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status'))
      .out;
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      expect(status).toMatch(new RegExp(`${cap}:\\s+0{16}`));
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect((await a.shell.exec('sudo -n true')).code).not.toBe(0);
  });

  it('read B’s kubeconfig (HOME copy, grader copy, script-check copy): refused', async () => {
    for (const path of [
      join(dataDir, 'homes', b.info.id, '.kube', 'config'),
      join(dataDir, 'sessions', b.info.id, 'kubeconfig'),
      join(dataDir, 'run', b.info.id, 'kubeconfig'),
      join(dataDir, 'homes', b.info.id, '.lab', 'commands.log'),
    ]) {
      const read = await a.shell.exec(`cat ${path} | head -c 200`);
      expect(read.out).toMatch(/No such file or directory|Permission denied/);
      expect(read.out).not.toMatch(/apiVersion|client-key-data|BEGIN/);
    }
    expect((await a.shell.exec(`ls ${join(dataDir, 'homes')}`)).out).not.toContain(b.info.id);
  });

  it('read the database (every session token) and B’s cluster CA key: refused', async () => {
    const tokenB = b.info.token;
    for (const path of [
      join(dataDir, 'lab.sqlite'),
      join(dataDir, 'lab.sqlite-wal'),
      join(dataDir, 'sessions', b.info.id, 'cluster', 'cluster-secrets.json'),
      join(dataDir, 'sessions', b.info.id, 'cluster', 'cluster-state.json'),
    ]) {
      const read = await a.shell.exec(`cat ${path} | head -c 4000 | base64 -w0`);
      expect(read.out).toMatch(/No such file or directory|Permission denied/);
      expect(Buffer.from(read.out.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1')).not.toContain(tokenB);
    }
    expect((await a.shell.exec(`ls ${join(dataDir, 'sessions')}`)).code).not.toBe(0);
  });

  it('see or signal B’s processes (ps, /proc, kill by host pid): refused, B’s process lives on', async () => {
    expect(bSleep).toBeGreaterThan(0);
    const ps = await a.shell.exec('ps -eo pid,uid,args');
    expect(ps.out).not.toContain('sleep 600');
    const environ = await a.shell.exec(`cat /proc/${bSleep}/environ | head -c 200`);
    expect(environ.out).not.toContain(b.info.id);
    await a.shell.exec(`kill -9 ${bSleep}; kill -9 -1`);
    expect(statSync(`/proc/${bSleep}`).isDirectory()).toBe(true);
    expect(readFileSync(`/proc/${bSleep}/cmdline`, 'utf8')).toMatch(/^sleep/);
  });

  it('act on B’s cluster (anonymous, then with A’s own credentials): refused with 403/401', async () => {
    const port = clusterPort(dataDir, b.info.id);
    const anonymous = await a.shell.exec(
      `curl -sk -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' ` +
        `-d '{"metadata":{"name":"from-a"}}' https://127.0.0.1:${port}/api/v1/namespaces/default/configmaps`,
    );
    expect(anonymous.out.trim()).toBe('403');
    const withMine = await a.shell.exec(
      `kubectl --server=https://127.0.0.1:${port} --insecure-skip-tls-verify create configmap from-a 2>&1`,
    );
    expect(withMine.code).not.toBe(0);
    expect(withMine.out).toMatch(/Unauthorized|forbidden|certificate/i);
    expect((await b.shell.exec('kubectl get configmap from-a 2>&1')).out).toMatch(/NotFound|not found/);
  });

  it('gain privileges back: user namespaces, remount and open_by_handle_at are refused', async () => {
    expect((await a.shell.exec('unshare -Ur id -u 2>&1')).code).not.toBe(0);
    const remount = await a.shell.exec('mount -o remount,rw,bind /usr 2>&1; touch /usr/lab-escape 2>&1');
    expect(remount.out).toMatch(/denied|Read-only|not permitted|must be superuser/i);
    expect(() => statSync('/usr/lab-escape')).toThrow();
    // name_to_handle_at works for anyone; open_by_handle_at needs CAP_DAC_READ_SEARCH.
    const handle = await a.shell.exec(
      `python3 -c 'import ctypes,os,sys
libc=ctypes.CDLL(None,use_errno=True)
buf=ctypes.create_string_buffer(8+128); ctypes.c_uint.from_buffer(buf).value=128
mnt=ctypes.c_int()
if libc.name_to_handle_at(-100,os.environ["HOME"].encode(),buf,ctypes.byref(mnt),0)!=0: print("name",ctypes.get_errno()); sys.exit(2)
fd=libc.open_by_handle_at(-100,buf,0)
print("open", fd, ctypes.get_errno())' 2>&1`,
    );
    expect(handle.out).toMatch(/open -1 1\b|name \d+/); // EPERM (1)
  });

  it('the lab API, /metrics and /api/info from A’s shell: refused', async () => {
    for (const path of ['metrics', 'api/info']) {
      const res = await a.shell.exec(`curl -s -o /dev/null -w '%{http_code}' ${server.url}${path}`);
      expect(res.out.trim()).toBe('403');
    }
    const create = await a.shell.exec(
      `curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' ` +
        `-d '{"labId":"security-basics"}' ${server.url}api/sessions`,
    );
    expect(create.out.trim()).toBe('403');
  });

  it('write outside HOME: every system folder is read-only, /tmp is private', async () => {
    const writes = await a.shell.exec(
      'for d in /etc /usr /opt /var /root; do touch $d/lab-escape 2>/dev/null && echo "wrote $d"; done; true',
    );
    expect(writes.out).not.toContain('wrote');
    await b.shell.exec('echo b-secret > /tmp/b-file');
    expect((await a.shell.exec('cat /tmp/b-file 2>&1')).out).not.toContain('b-secret');
  });

  it('symlink plants (~/.kube/config, the command log, an answer file) are never followed by the server', async () => {
    // /etc/shadow exists in the sandbox (unreadable there); the canary does not exist there at all.
    await a.shell.exec('kubectl get serviceaccounts -n default >/dev/null; ln -sf /etc/shadow inventory.yaml');
    const check = await a.client.request('POST', `/api/sessions/${a.info.id}/exercises/inventory/check?lang=en`);
    expect(check.status).toBe(200);
    expect(check.json.passed).toBe(false);
    expect(JSON.stringify(check.json)).not.toMatch(/root:/);
    expect(JSON.stringify(check.json)).toContain('outside your HOME');
    await a.shell.exec(`ln -sf /etc/shadow ~/.lab/commands.log; ln -sf ${canaryPath} ~/.kube/config`);
    const logCheck = await a.client.request(
      'POST',
      `/api/sessions/${a.info.id}/exercises/restricted-namespace/check?lang=en`,
    );
    expect(logCheck.status).toBe(200);
    expect(JSON.stringify(logCheck.json)).not.toMatch(/root:|canary/);
    expect(readFileSync(canaryPath, 'utf8')).toBe(canary);
    // A puts things back (the later attacks use A's kubeconfig).
    await a.shell.exec(
      `rm -f ~/.lab/commands.log ~/.kube/config; cp ${join(dataDir, 'run', a.info.id, 'kubeconfig')} ~/.kube/config`,
    );
  });

  it('a forged command log does not pass an exercise', async () => {
    const line = (cmd: string) =>
      `${Date.now()}\t0\t${Buffer.from('/').toString('base64')}\t${Buffer.from(cmd).toString('base64')}`;
    const forged = [
      'kubectl create namespace shop',
      'kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
      'kubectl get serviceaccounts -n shop -o yaml > inventory.yaml',
    ]
      .map(line)
      .join('\n');
    await b.shell.exec(`rm -f ~/.lab/commands.log; printf '%s\\n' '${forged}' > ~/.lab/commands.log`);
    for (const exercise of ['restricted-namespace', 'inventory']) {
      const check = await b.client.request('POST', `/api/sessions/${b.info.id}/exercises/${exercise}/check?lang=en`);
      expect(check.status).toBe(200);
      expect(check.json.passed).toBe(false);
    }
  });

  it('3000 replicas: refused past the pod quota (Forbidden, exceeded quota), B’s kubectl keeps answering', async () => {
    const created = await a.shell.exec('kubectl create deployment amp --image=nginx:1.27 --replicas=3000');
    expect(created.out).toContain('deployment.apps/amp created');
    const t0 = Date.now();
    let failure = '';
    while (Date.now() - t0 < 30_000) {
      const b0 = Date.now();
      const pods = await b.shell.exec('kubectl get pods -A --no-headers | wc -l');
      // Generous on a loaded machine; the ratio to idle is in npm run bench.
      expect(Date.now() - b0).toBeLessThan(10_000);
      expect(pods.code).toBe(0);
      failure = (
        await a.shell.exec(
          `kubectl get rs -l app=amp -o jsonpath='{.items[0].status.conditions[?(@.type=="ReplicaFailure")].message}'`,
        )
      ).out;
      if (failure.includes('exceeded quota')) break;
    }
    expect(failure).toMatch(
      /forbidden: exceeded quota: embedded-lab-limits, requested: pods=1, used: pods=\d+, limited: pods=200/,
    );
    const count = Number((await a.shell.exec('kubectl get pods -A --no-headers | wc -l')).out.trim());
    expect(count).toBeLessThanOrEqual(maxPods);
    await a.shell.exec('kubectl delete deployment amp --wait=false');
  }, 90_000);

  it('100 × 1 MB ConfigMaps: refused past the cluster’s bytes quota (403 exceeded quota), over 1 MiB is Invalid (422), over 1.5 MiB too large (413)', async () => {
    const setup = [
      "kubectl config view --raw --minify -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d > c.pem",
      "kubectl config view --raw --minify -o jsonpath='{.users[0].user.client-key-data}' | base64 -d > k.pem",
      "S=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')",
      'mk() { printf \'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"d":"\' "$1"; head -c "$2" /dev/zero | tr "\\0" a; printf \'"}}\'; }',
      'mkg() { printf \'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"m-"},"data":{"d":"\'; head -c "$1" /dev/zero | tr "\\0" a; printf \'"}}\'; }',
      'post() { curl -sk --cert c.pem --key k.pem -o /dev/null -w "%{http_code}\\n" -H content-type:application/json --data-binary @- "$S/api/v1/namespaces/default/configmaps"; }',
    ].join('; ');
    await a.shell.exec(setup);
    // Kubernetes' own limits come first: a ConfigMap holds at most 1 MiB (422 Invalid).
    expect((await a.shell.exec('mk big 1100000 | post')).out.trim()).toBe('422');
    // An object over etcd's 1.5 MiB (a custom resource: no Kubernetes size rule of its own).
    const crd = JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'blobs.example.org' },
      spec: {
        group: 'example.org',
        scope: 'Namespaced',
        names: { plural: 'blobs', singular: 'blob', kind: 'Blob' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    expect((await a.shell.exec(`echo '${crd}' | kubectl apply -f - 2>&1`)).out).toContain('created');
    await a.shell.exec('until kubectl get blobs >/dev/null 2>&1; do sleep 0.3; done', 30_000);
    const blob = await a.shell.exec(
      `{ printf '{"apiVersion":"example.org/v1","kind":"Blob","metadata":{"name":"big"},"data":"'; ` +
        `head -c 2000000 /dev/zero | tr "\\0" a; printf '"}'; } | kubectl create -f - 2>&1`,
    );
    expect(blob.out).toContain('(RequestEntityTooLarge)');
    expect(blob.out).toContain('etcdserver: request is too large');
    const flood = await a.shell.exec(
      'mkg 1000000 > one.json; for i in $(seq 1 100); do post < one.json; done | sort | uniq -c',
      120_000,
    );
    const counts = Object.fromEntries([...flood.out.matchAll(/(\d+) (\d{3})/g)].map((m) => [m[2]!, Number(m[1])]));
    expect(counts['201']).toBeGreaterThan(0);
    expect(counts['201']).toBeLessThan(17); // 16 MiB of cluster bytes
    expect(counts['403']).toBe(100 - counts['201']!);
    const message = await a.shell.exec('mk one-more 1000000 | kubectl create -f - 2>&1');
    expect(message.out).toMatch(/is forbidden: exceeded quota: embedded-lab-limits, requested: storage-bytes=/);
    // B's cluster has its own quota: still room there.
    expect((await b.shell.exec('kubectl create configmap small --from-literal=k=v')).out).toContain('created');
  }, 150_000);

  it('fork flood: refused at the session’s process limit with a message to the learner; B unaffected', async () => {
    const flood = await a.shell.exec(
      `python3 -c 'import os,time
n=0
try:
  while n<2000:
    if os.fork()==0:
      time.sleep(8); os._exit(0)
    n+=1
  print("forked", n)
except OSError as e: print("refused after", n, e.errno)'`,
      60_000,
    );
    expect(flood.out).toMatch(/refused after \d+ 11/); // EAGAIN
    expect(Number(/refused after (\d+)/.exec(flood.out)![1])).toBeLessThan(256);
    await a.shell.terminal.waitFor(/\[lab\] .*Process limit of 256 reached/, 15_000);
    expect((await b.shell.exec('for i in 1 2 3 4 5; do sh -c "echo ok$i"; done')).out).toContain('ok5');
    await a.shell.exec('kill -9 -1; sleep 0.5; true');
  }, 90_000);
});
