/** Timestamps as Kubernetes writes them (metav1.Time): RFC 3339, whole seconds, UTC. */
export function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
