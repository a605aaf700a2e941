/** The account page: sign in, sign up, sign out, classes joined, joining one, deleting the account. */
import { forgetLocalLearner } from './lab-client.ts';
import { classroomApi, onSubmit, pageConfig, type AccountView } from './classroom-client.ts';

const root = document.querySelector<HTMLElement>('.account-page')!;
const { config, text } = pageConfig<{ locale: string }>(root);
const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector)!;
const notice = $<HTMLElement>('.account-notice');

async function showClasses(): Promise<void> {
  const { member } = await classroomApi.classes();
  const list = $<HTMLUListElement>('.member-classes');
  list.replaceChildren(
    ...member.map((c) => {
      const item = document.createElement('li');
      item.textContent = c.name;
      return item;
    }),
  );
  $<HTMLElement>('.no-classes').hidden = member.length > 0;
}

async function showCertificates(): Promise<void> {
  const { certificates } = await classroomApi.certificates();
  const { locale } = config;
  $<HTMLUListElement>('.certificates').replaceChildren(
    ...certificates.map((c) => {
      const item = document.createElement('li');
      const page = document.createElement('a');
      page.href = c.pageUrl[locale] ?? '';
      page.textContent = c.moduleTitle[locale] ?? '';
      const pdf = document.createElement('a');
      pdf.href = c.pdfUrl[locale] ?? '';
      pdf.textContent = text('account.certificatePdf');
      const date = new Date(c.issuedAt).toLocaleDateString(locale);
      item.append(page, ` · ${date} · `, pdf, c.revoked ? ` ${text('account.certificateRevoked')}` : '');
      return item;
    }),
  );
  $<HTMLElement>('.no-certificates').hidden = certificates.length > 0;
}

/** Deleting asks for the password, or the username for an account of a school's sign-in (no password). */
function deleteConfirmation(signInWith: string | null | undefined): void {
  const oidc = signInWith === 'oidc';
  $<HTMLElement>('.delete-with-password').hidden = oidc;
  $<HTMLElement>('.delete-with-username').hidden = !oidc;
}

function show(account: AccountView | null): void {
  $<HTMLElement>('.when-signed-out').hidden = account !== null;
  $<HTMLElement>('.when-signed-in').hidden = account === null;
  if (!account) return;
  $<HTMLElement>('.signed-in-as').textContent = text('account.signedInAs', {
    name: account.username,
    role: text(`account.role.${account.role}`),
  });
  $<HTMLElement>('.teach-link').hidden = account.role === 'learner';
  $<HTMLElement>('.admin-box').hidden = account.role !== 'admin';
  void showClasses().catch(() => undefined);
  void showCertificates().catch(() => undefined);
}

async function signedIn(promise: Promise<{ account: AccountView }>): Promise<void> {
  const { account } = await promise;
  for (const form of root.querySelectorAll('form')) form.reset();
  deleteConfirmation('password');
  show(account);
  notice.textContent = text('account.claimed');
}

onSubmit(
  $<HTMLFormElement>('.signin-form'),
  (v) => signedIn(classroomApi.signIn({ login: v.login ?? '', password: v.password ?? '' })),
  text,
);
onSubmit(
  $<HTMLFormElement>('.signup-form'),
  (v) => signedIn(classroomApi.signUp({ username: v.username ?? '', email: v.email, password: v.password ?? '' })),
  text,
);
onSubmit(
  $<HTMLFormElement>('.join-form'),
  async (v) => {
    const joined = await classroomApi.join(v.code ?? '');
    await showClasses();
    return text('join.joined', { name: joined.class.name });
  },
  text,
);
onSubmit(
  $<HTMLFormElement>('.admin-role-form'),
  async (v) => {
    const { account } = await classroomApi.setRole(v.login ?? '', v.role ?? '');
    return text('account.admin.done', { name: account.username, role: text(`account.role.${account.role}`) });
  },
  text,
);
onSubmit(
  $<HTMLFormElement>('.delete-form'),
  async (v) => {
    const byUsername = !$<HTMLElement>('.delete-with-username').hidden;
    await classroomApi.deleteAccount(byUsername ? { confirm: v.confirm ?? '' } : { password: v.password ?? '' });
    forgetLocalLearner();
    $<HTMLFormElement>('.delete-form').reset();
    show(null);
    notice.textContent = text('account.deleted');
  },
  text,
);
$<HTMLButtonElement>('.signout').addEventListener('click', () => {
  void classroomApi.signOut().then(() => {
    forgetLocalLearner();
    show(null);
    notice.textContent = text('account.anonymous');
  });
});

classroomApi
  .me()
  .then(({ account, signInWith }) => {
    deleteConfirmation(signInWith);
    show(account);
    notice.textContent = account ? '' : text('account.anonymous');
  })
  .catch(() => (notice.textContent = text('account.error.unreachable')));

// A school's sign-in (OIDC), when the server has one: back to this page afterwards.
classroomApi
  .oidc()
  .then(({ enabled, name, start }) => {
    if (!enabled || !start) return;
    const link = $<HTMLAnchorElement>('.oidc-link');
    link.href = `${start}?return=${encodeURIComponent(`/${config.locale}/account/`)}`;
    link.textContent = text('account.oidc', { name: name || text('account.oidcSchool') });
    $<HTMLElement>('.oidc-box').hidden = false;
  })
  .catch(() => undefined);
