/** The account page: sign in, sign up, sign out, classes joined, joining one, deleting the account. */
import { forgetLocalLearner } from './lab-client.ts';
import { classroomApi, onSubmit, pageConfig, type AccountView } from './classroom-client.ts';

const root = document.querySelector<HTMLElement>('.account-page')!;
const { text } = pageConfig(root);
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
}

async function signedIn(promise: Promise<{ account: AccountView }>): Promise<void> {
  const { account } = await promise;
  for (const form of root.querySelectorAll('form')) form.reset();
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
    await classroomApi.deleteAccount(v.password ?? '');
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
  .then(({ account }) => {
    show(account);
    notice.textContent = account ? '' : text('account.anonymous');
  })
  .catch(() => (notice.textContent = text('account.error.unreachable')));
