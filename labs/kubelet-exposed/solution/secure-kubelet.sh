# Runs inside the node (docker exec -i "$NODE" sh < secure-kubelet.sh): anonymous requests off,
# authorization through the API server (Webhook), then a kubelet restart.
set -e
c=/var/lib/kubelet/config.yaml
cp "$c" /root/kubelet-config.yaml.bak
sed -i -e '/^  anonymous:/,/enabled:/ s/enabled: true/enabled: false/' \
  -e 's/^  mode: AlwaysAllow$/  mode: Webhook/' "$c"
grep -A1 '^  anonymous:' "$c" | grep -q 'enabled: false'
grep -q '^  mode: Webhook$' "$c"
systemctl restart kubelet
