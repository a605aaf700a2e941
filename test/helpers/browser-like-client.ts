/**
 * An HTTP client with a cookie jar and the lab server's CSRF habit: like the site's script, it
 * sends the lab_csrf cookie back as X-CSRF-Token unless told not to.
 */
export class BrowserLikeClient {
  readonly base: string;
  readonly jar = new Map<string, string>();
  /** The raw Set-Cookie lines of the last response. */
  lastSetCookies: string[] = [];

  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: boolean | string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
    const token = typeof options.csrf === 'string' ? options.csrf : this.jar.get('lab_csrf');
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.jar.size ? { cookie: this.cookieHeader() } : {}),
        ...(options.csrf !== false && method !== 'GET' && token ? { 'x-csrf-token': token } : {}),
        ...options.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    this.lastSetCookies = res.headers.getSetCookie();
    for (const line of this.lastSetCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON (CSV, event streams) */
    }
    return { status: res.status, json, text, headers: res.headers };
  }
}
