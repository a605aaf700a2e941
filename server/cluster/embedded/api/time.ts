let lastSecond = Number.NaN;
let lastText = '';

/** Timestamps as Kubernetes writes them (metav1.Time): RFC 3339, whole seconds, UTC. */
export function rfc3339(date = new Date()): string {
  // Writes within one second get the same string, not a copy each (objects keep them).
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastSecond) return lastText;
  const text = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  lastSecond = second;
  lastText = text;
  return text;
}
