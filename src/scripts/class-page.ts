/** The instructor's page: classes taught, creating one, and a class's roster live over SSE. */
import { classroomApi, errorText, onSubmit, pageConfig, type ClassView } from './classroom-client.ts';
import { RosterView, type RosterData, type RosterLearner, type RosterModule, type RowAction } from './roster-view.ts';

const root = document.querySelector<HTMLElement>('.classes-page')!;
const { config, text } = pageConfig<{ modules: RosterModule[]; labTitles: Record<string, string> }>(root);
const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector)!;
const notice = $<HTMLElement>('.classes-notice');
const classId = new URLSearchParams(location.search).get('class');

function showList(classes: ClassView[]): void {
  $<HTMLElement>('.class-none').hidden = classes.length > 0;
  $<HTMLUListElement>('.class-list').replaceChildren(
    ...classes.map((c) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `?class=${encodeURIComponent(c.id)}`;
      link.textContent = `${c.name} — ${text('class.open')}`;
      const code = document.createElement('span');
      code.className = 'class-code';
      code.textContent = ` (${text('class.code', { code: c.joinCode ?? '' })})`;
      item.append(link, code);
      return item;
    }),
  );
}

const refresh = () => classroomApi.classes().then(({ teaching }) => showList(teaching));

/** The form under the roster that sets a new password for one learner (who forgot theirs). */
const passwordForm = $<HTMLFormElement>('.password-form');
let passwordFor: RosterLearner | undefined;
onSubmit(
  passwordForm,
  async (v) => {
    if (!passwordFor) return;
    await classroomApi.resetPassword(classId!, passwordFor.accountId, v.password ?? '');
    passwordForm.reset();
    return text('class.passwordDone', { name: passwordFor.username });
  },
  text,
);

function act(learner: RosterLearner, action: RowAction): void {
  if (action === 'password') {
    passwordFor = learner;
    passwordForm.hidden = false;
    passwordForm.querySelector('label[for="learner-password"]')!.textContent = text('class.passwordFor', {
      name: learner.username,
    });
    passwordForm.querySelector<HTMLElement>('.form-status')!.textContent = '';
    passwordForm.querySelector<HTMLInputElement>('input[name="password"]')!.focus();
    return;
  }
  if (action !== 'extend' && !confirm(text(`class.${action}Confirm`, { name: learner.username }))) return;
  const status = $<HTMLElement>('.roster-action');
  classroomApi
    .session(classId!, learner.accountId, action)
    .then(() => (status.textContent = text(`class.done.${action}`, { name: learner.username })))
    .catch((error: unknown) => (status.textContent = errorText(error, text)));
}

function openRoster(id: string): void {
  const box = $<HTMLElement>('.roster-box');
  const live = $<HTMLElement>('.roster-live');
  $<HTMLAnchorElement>('.roster-csv').href = `/api/classes/${encodeURIComponent(id)}/roster.csv`;
  const view = new RosterView($<HTMLTableElement>('table.roster'), {
    modules: config.modules,
    text,
    labTitle: (lab) => config.labTitles[lab] ?? lab,
    onAction: act,
  });
  const events = new EventSource(`/api/classes/${encodeURIComponent(id)}/events`);
  events.addEventListener('roster', (event) => {
    const roster = JSON.parse((event as MessageEvent<string>).data) as RosterData;
    box.hidden = false;
    $<HTMLElement>('#roster-title').textContent = text('class.roster', { name: roster.class.name });
    const empty = $<HTMLElement>('.roster-empty');
    empty.hidden = roster.learners.length > 0;
    empty.textContent = text('class.empty', { code: roster.class.joinCode });
    view.render(roster.learners);
  });
  events.addEventListener('open', () => (live.textContent = text('class.liveOn')));
  // A refused stream (not this instructor's class) is closed for good; a dropped one reconnects.
  events.addEventListener('error', () => {
    live.textContent = text(events.readyState === EventSource.CLOSED ? 'account.error.forbidden' : 'class.liveOff');
  });
}

onSubmit(
  $<HTMLFormElement>('.create-class-form'),
  async (v) => {
    // datetime-local is the instructor's local time; the server takes an ISO instant.
    const iso = (value?: string) => (value ? new Date(value).toISOString() : undefined);
    const created = await classroomApi.createClass({
      name: v.name ?? '',
      startsAt: iso(v.startsAt),
      endsAt: iso(v.endsAt),
    });
    $<HTMLFormElement>('.create-class-form').reset();
    await refresh();
    return text('class.created', { name: created.class.name, code: created.class.joinCode ?? '' });
  },
  text,
);

classroomApi
  .me()
  .then(async ({ account }) => {
    if (!account || account.role === 'learner') {
      notice.textContent = text(account ? 'class.needsInstructor' : 'account.error.signed_out');
      $<HTMLElement>('.classes-signin').hidden = account !== null;
      return;
    }
    $<HTMLElement>('.when-instructor').hidden = false;
    await refresh();
    if (classId) openRoster(classId);
  })
  .catch((error: unknown) => (notice.textContent = errorText(error, text)));
