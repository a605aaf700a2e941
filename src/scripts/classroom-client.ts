/** The account and class API for the site's pages, and what every classroom page's script shares. */
import { ApiError } from '../contracts/protocol.ts';
import { fill } from '../contracts/translator.ts';
import { call } from './lab-client.ts';

export interface AccountView {
  id: string;
  username: string;
  email: string | null;
  role: 'learner' | 'instructor' | 'admin';
}
export interface ClassView {
  id: string;
  name: string;
  joinCode?: string;
  startsAt: string | null;
  endsAt: string | null;
}

export interface CertificateView {
  moduleTitle: Record<string, string>;
  issuedAt: string;
  revoked: boolean;
  pageUrl: Record<string, string>;
  pdfUrl: Record<string, string>;
}

export const classroomApi = {
  me: () => call<{ account: AccountView | null; signInWith?: 'password' | 'oidc' | null }>('GET', '/api/auth/me'),
  oidc: () => call<{ enabled: boolean; name?: string | null; start?: string }>('GET', '/api/auth/oidc'),
  certificates: () => call<{ certificates: CertificateView[] }>('GET', '/api/certificates'),
  signUp: (body: { username: string; email?: string; password: string }) =>
    call<{ account: AccountView }>('POST', '/api/auth/signup', body),
  signIn: (body: { login: string; password: string }) =>
    call<{ account: AccountView }>('POST', '/api/auth/signin', body),
  signOut: () => call<unknown>('POST', '/api/auth/signout'),
  deleteAccount: (body: { password?: string; confirm?: string }) => call<unknown>('DELETE', '/api/auth/account', body),
  setRole: (login: string, role: string) =>
    call<{ account: AccountView }>('POST', '/api/admin/accounts/role', { login, role }),
  classes: () => call<{ teaching: ClassView[]; member: ClassView[] }>('GET', '/api/classes'),
  createClass: (body: { name: string; startsAt?: string; endsAt?: string }) =>
    call<{ class: ClassView }>('POST', '/api/classes', body),
  join: (code: string) => call<{ class: ClassView }>('POST', '/api/classes/join', { code }),
  resetPassword: (classId: string, accountId: string, password: string) =>
    call<unknown>(
      'POST',
      `/api/classes/${encodeURIComponent(classId)}/learners/${encodeURIComponent(accountId)}/password`,
      { password },
    ),
  session: (classId: string, accountId: string, action: 'extend' | 'reset' | 'end') =>
    call<unknown>(
      'POST',
      `/api/classes/${encodeURIComponent(classId)}/learners/${encodeURIComponent(accountId)}/session/${action}`,
      {},
    ),
};

/** A page's config (data-config on its root): its locale and the strings its script shows. */
export function pageConfig<T extends object>(root: HTMLElement) {
  const config = JSON.parse(root.dataset.config ?? '{}') as T & { strings: Record<string, string> };
  const text = (key: string, params: Record<string, string | number> = {}) => fill(config.strings[key] ?? key, params);
  return { config, text };
}

/** A failed call in the learner's words: the server's code picks the text, never its English message. */
export function errorText(error: unknown, text: (key: string, params?: Record<string, string>) => string): string {
  const code = error instanceof ApiError ? error.code : 'error';
  const key = `account.error.${code}`;
  const known = text(key);
  return known === key ? text('account.error.other', { code }) : known;
}

/** The form's fields as strings (empty ones left out). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) if (typeof value === 'string' && value !== '') values[name] = value;
  return values;
}

/** Runs a form's submit once at a time, showing the outcome in its status line (role=status/alert). */
export function onSubmit(
  form: HTMLFormElement,
  handler: (values: Record<string, string>) => Promise<string | void>,
  text: (key: string, params?: Record<string, string>) => string,
): void {
  const status = form.querySelector<HTMLElement>('.form-status')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    status.textContent = '';
    status.classList.remove('form-error');
    handler(formValues(form))
      .then((message) => {
        if (message) status.textContent = message;
      })
      .catch((error: unknown) => {
        status.classList.add('form-error');
        status.textContent = errorText(error, text);
      })
      .finally(() => (button.disabled = false));
  });
}
