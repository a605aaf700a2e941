# Runs inside the control-plane node (docker exec -i "$NODE" sh < harden-node.sh): fixes kube-bench 1.2.15.
set -e
# 1.2.15: the API server is a static pod; the kubelet restarts it when its manifest changes.
# Edit a copy outside /etc/kubernetes/manifests (every file there is run as a pod), then write it back.
m=/etc/kubernetes/manifests/kube-apiserver.yaml
cp "$m" /root/kube-apiserver.yaml.bak
if ! grep -q -- '--profiling=false' "$m"; then
  sed -e 's|^    - kube-apiserver$|    - kube-apiserver\n    - --profiling=false|' "$m" > /root/kube-apiserver.yaml.new
  grep -q -- '--profiling=false' /root/kube-apiserver.yaml.new
  cat /root/kube-apiserver.yaml.new > "$m"
fi
