/** The roster table: one row per learner, kept by account id so buttons and focus survive live updates. */

export interface RosterLearner {
  accountId: string;
  username: string;
  labs: Array<{ lab: string; passed: number; hintsShown: number; solutionsShown: number }>;
  /** Lessons and quizzes per module (absent from servers that do not record them). */
  modules?: Array<{ module: string; lessonsRead: number; quizzesAnswered: number; quizzesRight: number }>;
  hintsShown: number;
  solutionsShown: number;
  timeSpentMs: number;
  /** null or absent while the server does not record them. */
  lessonsRead?: number | null;
  quizzesAnswered?: number | null;
  quizzesRight?: number | null;
  liveSession: { id: string; labId: string; state: string } | null;
}
export interface RosterData {
  class: { id: string; name: string; joinCode: string };
  learners: RosterLearner[];
}
export type SessionAction = 'extend' | 'reset' | 'end';
/** What a row's buttons do: its lab session, or the learner's forgotten password. */
export type RowAction = SessionAction | 'password';
export interface RosterModule {
  slug: string;
  labs: string[];
  total: number;
}

const optional = ['lessonsRead', 'quizzesAnswered'] as const;
const actions: RowAction[] = ['extend', 'reset', 'end', 'password'];

export class RosterView {
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly table: HTMLTableElement;
  private readonly modules: RosterModule[];
  private readonly text: (key: string, params?: Record<string, string | number>) => string;
  private readonly labTitle: (id: string) => string;
  private readonly onAction: (learner: RosterLearner, action: RowAction) => void;
  private learners = new Map<string, RosterLearner>();

  constructor(
    table: HTMLTableElement,
    options: {
      modules: RosterModule[];
      text: (key: string, params?: Record<string, string | number>) => string;
      labTitle: (id: string) => string;
      onAction: (learner: RosterLearner, action: RowAction) => void;
    },
  ) {
    this.table = table;
    this.modules = options.modules;
    this.text = options.text;
    this.labTitle = options.labTitle;
    this.onAction = options.onAction;
  }

  render(learners: RosterLearner[]): void {
    this.learners = new Map(learners.map((l) => [l.accountId, l]));
    const shown = optional.filter((key) => learners.some((l) => typeof l[key] === 'number'));
    for (const key of optional)
      this.table.querySelector<HTMLElement>(`th[data-optional="${key}"]`)!.hidden = !shown.includes(key);
    const body = this.table.tBodies[0]!;
    for (const [id, row] of this.rows)
      if (!this.learners.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    for (const learner of learners) {
      const row = this.rows.get(learner.accountId) ?? this.newRow(learner);
      body.append(row);
      this.fill(row, learner, shown);
    }
  }

  private newRow(learner: RosterLearner): HTMLTableRowElement {
    const row = document.createElement('tr');
    row.dataset.account = learner.accountId;
    const name = document.createElement('th');
    name.scope = 'row';
    name.className = 'learner';
    row.append(name);
    for (const m of this.modules) row.append(this.cell(`module`, m.slug));
    for (const key of optional) row.append(this.cell(key));
    for (const key of ['hints', 'solutions', 'time', 'session']) row.append(this.cell(key));
    const detail = this.cell('detail');
    const box = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = this.text('class.detailSummary');
    box.append(summary, document.createElement('ul'));
    detail.append(box);
    row.append(detail);
    const buttons = this.cell('actions');
    for (const action of actions) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.action = action;
      button.textContent = this.text(`class.${action}`);
      button.addEventListener('click', () => {
        const current = this.learners.get(learner.accountId);
        if (current) this.onAction(current, action);
      });
      buttons.append(button);
    }
    row.append(buttons);
    this.rows.set(learner.accountId, row);
    return row;
  }

  /** Per module, one line of everything the learner did there; only modules with something. */
  private fillDetail(row: HTMLTableRowElement, learner: RosterLearner): void {
    const lines = this.modules.flatMap((m, i) => {
      const labs = learner.labs.filter((l) => m.labs.includes(l.lab));
      const sum = (pick: (l: RosterLearner['labs'][number]) => number) => labs.reduce((n, l) => n + pick(l), 0);
      const own = learner.modules?.find((x) => x.module === m.slug);
      const counts = {
        module: this.text('class.moduleShort', { n: i + 1 }),
        passed: sum((l) => l.passed),
        total: m.total,
        lessons: own?.lessonsRead ?? 0,
        quizzes: own?.quizzesAnswered ?? 0,
        right: own?.quizzesRight ?? 0,
        hints: sum((l) => l.hintsShown),
        solutions: sum((l) => l.solutionsShown),
      };
      const any = counts.passed + counts.lessons + counts.quizzes + counts.hints + counts.solutions > 0;
      return any ? [this.text('class.moduleLine', counts)] : [];
    });
    const list = row.querySelector<HTMLUListElement>('td.detail ul')!;
    const now = (lines.length ? lines : [this.text('class.detailNone')]).join('\n');
    if (list.dataset.lines === now) return;
    list.dataset.lines = now;
    list.replaceChildren(
      ...now.split('\n').map((line) => {
        const item = document.createElement('li');
        item.textContent = line;
        return item;
      }),
    );
  }

  private cell(key: string, module?: string): HTMLTableCellElement {
    const cell = document.createElement('td');
    cell.className = key;
    if (module) cell.dataset.module = module;
    return cell;
  }

  private fill(row: HTMLTableRowElement, learner: RosterLearner, shown: readonly string[]): void {
    const set = (selector: string, value: string) => {
      const cell = row.querySelector<HTMLElement>(selector)!;
      if (cell.textContent !== value) cell.textContent = value;
    };
    set('.learner', learner.username);
    for (const m of this.modules) {
      const passed = learner.labs.filter((l) => m.labs.includes(l.lab)).reduce((n, l) => n + l.passed, 0);
      set(`td[data-module="${m.slug}"]`, `${passed}/${m.total}`);
    }
    for (const key of optional) {
      row.querySelector<HTMLElement>(`.${key}`)!.hidden = !shown.includes(key);
      set(`.${key}`, String(learner[key] ?? ''));
    }
    if (typeof learner.quizzesAnswered === 'number' && typeof learner.quizzesRight === 'number')
      set(
        '.quizzesAnswered',
        this.text('class.quizzesCell', { n: learner.quizzesAnswered, right: learner.quizzesRight }),
      );
    this.fillDetail(row, learner);
    set('.hints', String(learner.hintsShown));
    set('.solutions', String(learner.solutionsShown));
    set('.time', this.text('class.minutes', { n: Math.round(learner.timeSpentMs / 60_000) }));
    const live = learner.liveSession;
    set('.session', live ? this.text('class.live', { lab: this.labTitle(live.labId) }) : this.text('class.noSession'));
    row.dataset.live = String(live !== null);
    for (const button of row.querySelectorAll<HTMLButtonElement>('button'))
      button.disabled = live === null && button.dataset.action !== 'password';
  }
}
