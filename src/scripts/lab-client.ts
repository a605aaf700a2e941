/** Talks to the lab server's API for the lab page (fetch + EventSource + WebSocket URLs). */
import {
  ApiError,
  type ApplyResult,
  type ExerciseResult,
  type HintResult,
  type ProgressResult,
  type SessionInfo,
  type SolutionResult,
  type StageEvent,
} from '../contracts/protocol.ts';

/** The CSRF token the server set for this browser (readable on purpose; the session cookie is not). */
export function csrfToken(): string | undefined {
  const m = /(?:^|;\s*)lab_csrf=([^;]+)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  const token = method === 'GET' ? undefined : csrfToken();
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { 'x-csrf-token': token } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'lab server unreachable');
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new ApiError(
      res.status,
      String(json.error ?? 'error'),
      String(json.message ?? res.statusText),
      Array.isArray(json.missing) ? json.missing.map(String) : undefined,
    );
  return json as T;
}

export const api = {
  createSession: (labId: string) => call<SessionInfo>('POST', '/api/sessions', { labId }),
  session: (id: string) => call<SessionInfo>('GET', `/api/sessions/${id}`),
  reset: (id: string) => call<SessionInfo>('POST', `/api/sessions/${id}/reset`),
  extend: (id: string) => call<SessionInfo>('POST', `/api/sessions/${id}/extend`),
  apply: (id: string, exercise: string) => call<ApplyResult>('POST', `/api/sessions/${id}/exercises/${exercise}/apply`),
  end: (id: string) => call<unknown>('DELETE', `/api/sessions/${id}`),
  check: (id: string, exercise: string, locale: string) =>
    call<ExerciseResult>('POST', `/api/sessions/${id}/exercises/${exercise}/check?lang=${locale}`),
  hint: (id: string, exercise: string, locale: string) =>
    call<HintResult>('POST', `/api/sessions/${id}/exercises/${exercise}/hint?lang=${locale}`),
  solution: (lab: string, exercise: string) =>
    call<SolutionResult>('POST', `/api/labs/${lab}/exercises/${exercise}/solution`),
  progress: (lab?: string) => call<ProgressResult>('GET', `/api/progress${lab ? `?lab=${lab}` : ''}`),
  closeTerminal: (id: string, name: string) => call<unknown>('DELETE', `/api/sessions/${id}/terminals/${name}`),
  tools: (names: string[]) => call<Record<string, boolean>>('GET', `/api/tools?names=${names.join(',')}`),
};

export function stageEvents(id: string, onStage: (event: StageEvent) => void): () => void {
  const source = new EventSource(`/api/sessions/${id}/events`);
  source.addEventListener('stage', (e) => onStage(JSON.parse((e as MessageEvent<string>).data) as StageEvent));
  return () => source.close();
}

/** A terminal's WebSocket; `shell` is the shell last shown, so a replaced one is replayed from its start. */
export function terminalUrl(info: SessionInfo, name: string, since: number, shell: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = `token=${encodeURIComponent(info.token)}&since=${since}${shell ? `&shell=${shell}` : ''}`;
  return `${scheme}://${location.host}/api/sessions/${info.id}/terminals/${name}?${query}`;
}

/** Progress mirrored in localStorage so pages show it instantly (the server is the source of truth). */
const progressKey = 'k8s-course-progress';
export function localProgress(): Record<string, Record<string, boolean>> {
  try {
    return JSON.parse(localStorage.getItem(progressKey) ?? '{}') as Record<string, Record<string, boolean>>;
  } catch {
    return {};
  }
}
export function saveLocalProgress(lab: string, exercise: string, passed: boolean): void {
  const all = localProgress();
  all[lab] = { ...(all[lab] ?? {}), [exercise]: (all[lab]?.[exercise] ?? false) || passed };
  localStorage.setItem(progressKey, JSON.stringify(all));
}

/** Forgets what this browser kept of a learner (after sign-out or deletion): progress marks and open labs. */
export function forgetLocalLearner(): void {
  for (const key of Object.keys(localStorage))
    if (key === progressKey || key.startsWith('lab-session:')) localStorage.removeItem(key);
}
