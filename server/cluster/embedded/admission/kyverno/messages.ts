/** Quotes a YAML scalar the way go-yaml does for Kyverno's blocked-message map (single quotes when needed). */
export function yamlScalar(text: string): string {
  const needsQuotes =
    text === '' ||
    /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(text) ||
    /:\s|\s#|:$|\s$/.test(text) ||
    /^(true|false|yes|no|on|off|null|~|[-+]?\d+(\.\d+)?([eE][-+]?\d+)?)$/i.test(text) ||
    text.includes('\n');
  return needsQuotes ? `'${text.replace(/'/g, "''")}'` : text;
}

/** The text Kyverno's webhook returns when policies block a request, as kube-apiserver wraps it. */
export function blockedMessage(
  webhook: string,
  kind: string,
  namespace: string,
  name: string,
  failures: Map<string, Map<string, string>>,
): string {
  const lines: string[] = [];
  for (const policy of [...failures.keys()].sort()) {
    lines.push(`${policy}:`);
    const rules = failures.get(policy)!;
    for (const rule of [...rules.keys()].sort()) lines.push(`  ${rule}: ${yamlScalar(rules.get(rule)!)}`);
  }
  return `admission webhook "${webhook}" denied the request: \n\nresource ${kind}/${namespace}/${name} was blocked due to the following policies \n\n${lines.join('\n')}`;
}
