"""python-kubernetes against the embedded cluster: create (no apiVersion/kind in the body),
list, watch (the watch=True query), patch, delete and a TokenRequest with an audience.
Prints one JSON object for the vitest suite to check."""
import json, sys, threading, time
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
ns = sys.argv[2] if len(sys.argv) > 2 else 'default'
out = {}
events = []
def watcher():
    w = watch.Watch()
    for ev in w.stream(v1.list_namespaced_config_map, ns, timeout_seconds=5):
        if ev['object'].metadata.name == 'py':
            events.append(ev['type'])
            if ev['type'] == 'DELETED':
                w.stop()
t = threading.Thread(target=watcher); t.start(); time.sleep(1)
created = v1.create_namespaced_config_map(ns, {'metadata': {'name': 'py'}, 'data': {'a': '1'}})
out['created'] = created.metadata.name
out['listed'] = sorted(i.metadata.name for i in v1.list_namespaced_config_map(ns).items)
v1.patch_namespaced_config_map('py', ns, {'data': {'a': '2'}})
v1.delete_namespaced_config_map('py', ns)
t.join(10)
out['events'] = events
tr = v1.create_namespaced_service_account_token('default', ns, {'spec': {'audiences': ['vault'], 'expirationSeconds': 600}})
out['audiences'] = tr.spec.audiences
out['token'] = tr.status.token[:10]
print(json.dumps(out))
