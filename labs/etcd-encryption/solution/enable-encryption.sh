# Runs inside the control-plane node: adds the flag, the volume and its mount to the API server's
# static pod manifest. The kubelet notices the change and restarts kube-apiserver.
set -e
m=/etc/kubernetes/manifests/kube-apiserver.yaml
cp "$m" /root/kube-apiserver.yaml.bak
grep -q -- --encryption-provider-config "$m" && exit 0
sed -i \
  -e 's|^    - kube-apiserver$|    - kube-apiserver\n    - --encryption-provider-config=/etc/kubernetes/enc/enc.yaml|' \
  -e 's|^    volumeMounts:$|    volumeMounts:\n    - mountPath: /etc/kubernetes/enc\n      name: enc\n      readOnly: true|' \
  -e 's|^  volumes:$|  volumes:\n  - hostPath:\n      path: /etc/kubernetes/enc\n      type: DirectoryOrCreate\n    name: enc|' \
  "$m"
