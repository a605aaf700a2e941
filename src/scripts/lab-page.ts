import {
  ApiError,
  type ApplyResult,
  type ExerciseResult,
  type SessionInfo,
  type SolutionResult,
  type StageEvent,
} from '../contracts/protocol.ts';
import type { Locale } from '../contracts/locales.ts';
import { fill } from '../contracts/translator.ts';
import { api, localProgress, saveLocalProgress, stageEvents, terminalUrl } from './lab-client.ts';
import { inlineMarkdown, markdownElement } from './inline-markdown.ts';
import { TerminalView } from './terminal-view.ts';

interface PageConfig {
  lab: string;
  locale: Locale;
  exercises: string[];
  tools: string[];
  strings: Record<string, string>;
  /** The labs of this lab's module, for the module progress in the completion view. */
  moduleLabs: Array<{ id: string; exercises: string[] }>;
}

const root = document.querySelector<HTMLElement>('.lab')!;
const config = JSON.parse(root.dataset.config ?? '{}') as PageConfig;
const text = (key: string, params: Record<string, string | number> = {}) => fill(config.strings[key] ?? key, params);
const $ = <T extends Element>(selector: string, scope: ParentNode = document) => scope.querySelector<T>(selector)!;

const status = {
  text: $<HTMLElement>('.lab-status-text'),
  bar: $<HTMLProgressElement>('.lab-progress'),
  retry: $<HTMLButtonElement>('.lab-retry'),
};
const banner = {
  box: $<HTMLElement>('.terminal-banner'),
  text: $<HTMLElement>('.terminal-banner-text'),
  retry: $<HTMLButtonElement>('.terminal-retry'),
};
const timer = {
  box: $<HTMLElement>('.lab-timer'),
  text: $<HTMLElement>('.lab-timer-text'),
  extend: $<HTMLButtonElement>('.lab-extend'),
  alert: $<HTMLElement>('.lab-timer-alert'),
};
const tabs = $<HTMLElement>('.terminal-tabs');
const closeButton = $<HTMLButtonElement>('.terminal-close');
const screens = $<HTMLElement>('.terminal-screens');
const storageKey = `lab-session:${config.lab}`;

let session: SessionInfo | undefined;
let stopEvents: (() => void) | undefined;
const terminals = new Map<string, TerminalView>();
let active = '';

/** The status line; `action` shows its button as Retry, or as Start again once the lab ended. */
function setStatus(message: string, progress?: number, action: false | 'retry' | 'startAgain' = false): void {
  status.text.textContent = message;
  $<HTMLElement>('.lab-failure').hidden = true;
  // The bar keeps its place when done, so the instructions below never move.
  status.bar.style.visibility = progress === undefined ? 'hidden' : 'visible';
  if (progress !== undefined) status.bar.value = progress;
  status.retry.hidden = !action;
  if (action) status.retry.textContent = text(action === 'retry' ? 'lab.retry' : 'lab.startAgain');
}

/** Minutes left, rounded up ("5 min" until 4 min are left), or "less than a minute". */
function duration(ms: number): string {
  if (ms < 60_000) return text('lab.time.soon');
  const minutes = Math.ceil(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? text('lab.time.hm', { h, n: m }) : text('lab.time.m', { n: m });
}

/** Moments (minutes left) the screen reader hears about; the visible timer itself stays quiet. */
const warnAt = [5, 1];
const warned = new Set<number>();
let timerTick: ReturnType<typeof setInterval> | undefined;
let timerRefresh: ReturnType<typeof setInterval> | undefined;

function renderTimer(): void {
  if (!session || session.state !== 'ready' || !session.expiresAt) return;
  const left = Math.max(0, Date.parse(session.expiresAt) - Date.now());
  const key = session.expiresBecause === 'idle' ? 'lab.timeLeftIdle' : 'lab.timeLeft';
  const note = session.extensionsLeft > 0 ? '' : ` ${text('lab.extendNoMore')}`;
  timer.text.textContent = text(key, { time: duration(left) }) + note;
  timer.extend.textContent = text('lab.extend', { n: session.extendMinutes });
  // While the idle limit comes first, activity is what keeps the lab: Extend would add nothing visible.
  // Out of sight but keeping its room, so the instructions below never move.
  const noExtend = session.extensionsLeft <= 0 || session.expiresBecause === 'idle';
  timer.extend.style.visibility = noExtend ? 'hidden' : '';
  timer.box.classList.add('shown');
  timer.box.classList.toggle('low', left <= warnAt[0]! * 60_000);
  for (const mark of warnAt) {
    if (left > mark * 60_000) warned.delete(mark);
    else if (left > 0 && !warned.has(mark)) {
      for (const m of warnAt) if (m >= mark) warned.add(m);
      timer.alert.textContent = text('lab.timeWarning', { time: duration(left) });
    }
  }
}

/** Counts down every few seconds; asks the server every minute (activity moves an idle expiry). */
function startTimer(): void {
  stopTimer();
  renderTimer();
  timerTick = setInterval(renderTimer, 5_000);
  timerRefresh = setInterval(() => {
    const current = session;
    if (!current) return;
    void api.session(current.id).then(
      (latest) => {
        if (session?.id === latest.id && latest.state === 'ready') {
          session = latest;
          renderTimer();
        }
      },
      () => undefined,
    );
  }, 60_000);
}

function stopTimer(): void {
  clearInterval(timerTick);
  clearInterval(timerRefresh);
  timer.box.classList.remove('shown', 'low');
  warned.clear();
}

function setBanner(message: string | undefined, showRetry = false): void {
  banner.box.hidden = !message;
  banner.text.textContent = message ?? '';
  banner.retry.hidden = !showRetry;
}

function selectTerminal(name: string, focus = false): void {
  active = name;
  for (const [n, view] of terminals) view.show(n === name, focus && n === name);
  for (const tab of tabs.querySelectorAll<HTMLButtonElement>('[role="tab"]')) {
    const selected = tab.dataset.terminal === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  // The first terminal stays; the others can be closed.
  closeButton.hidden = name === 'main' || !terminals.has(name);
}

let opened = 0;

function openTerminal(name: string): void {
  if (!session || terminals.has(name)) return selectTerminal(name);
  const info = session;
  const view = new TerminalView(screens, name, (since, shell) => terminalUrl(info, name, since, shell), {
    onState: (state) => {
      if (state === 'open') setBanner(undefined);
      else if (state === 'reconnecting') setBanner(text('lab.reconnecting'));
      else if (state === 'ended') endedHere(text('lab.endedElsewhere'));
      else setBanner(text('lab.serverDown'), true);
    },
    onNewShell: (why) => {
      if (why === 'restarted') setStatus(text('terminal.restarted'));
    },
    text: (key, params) => text(key, params),
  });
  view.setScreenReaderMode($<HTMLInputElement>('.terminal-sr-toggle').checked);
  terminals.set(name, view);
  const tab = document.createElement('button');
  tab.type = 'button';
  tab.setAttribute('role', 'tab');
  tab.dataset.terminal = name;
  tab.textContent = `${text('lab.terminal')} ${++opened}`;
  tab.addEventListener('click', () => selectTerminal(name, true));
  tabs.append(tab);
  selectTerminal(name);
}

/** Closes a terminal tab and its shell on the server. */
function closeTerminal(name: string): void {
  const view = terminals.get(name);
  if (!view || name === 'main') return;
  view.dispose();
  terminals.delete(name);
  tabs.querySelector(`[data-terminal="${name}"]`)?.remove();
  if (session) void api.closeTerminal(session.id, name).catch(() => undefined);
  selectTerminal('main', true);
}

function closeTerminals(): void {
  stopTimer();
  for (const view of terminals.values()) view.dispose();
  terminals.clear();
  opened = 0;
  for (const tab of tabs.querySelectorAll('[role="tab"]')) tab.remove();
  closeButton.hidden = true;
}

/** The session is over (End here, or ended elsewhere): no terminals, no reconnect banner. */
function endedHere(message: string): void {
  stopEvents?.();
  closeTerminals();
  setBanner(undefined);
  localStorage.removeItem(storageKey);
  session = undefined;
  setStatus(message, undefined, 'startAgain');
}

function showReady(info: SessionInfo): void {
  session = info;
  setStatus(text('lab.ready'));
  const backend = $<HTMLElement>('.lab-backend');
  // The summary stays one short line; why this backend and its limits open below it.
  backend.textContent = text('lab.backend', { backend: text(`lab.backend.${info.backend}`) });
  const why = info.backendReason ? [text(`lab.backendWhy.${info.backendReason}`)] : [];
  $<HTMLElement>('.lab-limitations').replaceChildren(
    ...[...why, ...info.capabilities.limitations.map((l) => l[config.locale])].map((line) =>
      Object.assign(document.createElement('li'), { textContent: line }),
    ),
  );

  openTerminal('main');
  startTimer();
}

/**
 * The lab could not start: the reason in the learner's language; the server's own (English)
 * text stays available under "Technical details", marked as English.
 */
function showFailed(detail: string | undefined): void {
  setStatus(text('lab.failedShort'), undefined, 'retry');
  const box = $<HTMLElement>('.lab-failure');
  box.hidden = !detail;
  $<HTMLElement>('.lab-failure-text').textContent = detail ?? '';
}

async function follow(info: SessionInfo): Promise<void> {
  session = info;
  localStorage.setItem(storageKey, info.id);
  if (info.state === 'ready') return showReady(info);
  if (info.state === 'failed') return showFailed(info.error);
  setStatus(text('lab.starting'), 0);
  stopEvents?.();
  let settled = false;
  const settle = (latest: SessionInfo, error?: string): void => {
    if (settled || session?.id !== latest.id || (latest.state !== 'ready' && latest.state !== 'failed')) return;
    settled = true;
    stopEvents?.();
    if (latest.state === 'ready') showReady(latest);
    else showFailed(error ?? latest.error);
  };
  const refresh = () =>
    void api.session(info.id).then(
      (latest) => settle(latest),
      () => undefined,
    );
  const stopStream = stageEvents(info.id, (event: StageEvent) => {
    if (event.stage === 'ready') refresh();
    else if (event.stage === 'failed') settle({ ...info, state: 'failed' }, event.message);
    else setStatus(`${text('lab.starting')} ${text(`stage.${event.stage}`)}`, event.progress ?? 0.3);
  });
  // Proxies may buffer or drop the event stream: poll too, until the lab is ready or failed.
  const poll = setInterval(refresh, 2000);
  stopEvents = () => {
    stopStream();
    clearInterval(poll);
  };
}

/** A kind-only lab on a server without kind: what to install, in the learner's language; retrying cannot help. */
function showUnavailable(missing: string[]): void {
  setStatus(text('lab.needsKind'));
  const list = $<HTMLElement>('.lab-unavailable');
  const items = missing.filter((m) => config.strings[`lab.missing.${m}`]).map((m) => text(`lab.missing.${m}`));
  list.replaceChildren(
    ...[...items, text('lab.needsKindDoctor')].map((t) =>
      Object.assign(document.createElement('li'), { textContent: t }),
    ),
  );
  list.hidden = false;
}

async function start(): Promise<void> {
  setStatus(text('lab.starting'), 0);
  try {
    const saved = localStorage.getItem(storageKey);
    if (saved) {
      try {
        return await follow(await api.session(saved));
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
        localStorage.removeItem(storageKey);
      }
    }
    await follow(await api.createSession(config.lab));
  } catch (error) {
    if (error instanceof ApiError && error.code === 'backend_unavailable') return showUnavailable(error.missing ?? []);
    const down = error instanceof ApiError && error.status === 0;
    setStatus(down ? text('lab.serverDown') : errorText(error), undefined, 'retry');
    if (down) setBanner(text('lab.serverDown'), true);
  }
}

/** Feedback of one check run: a summary, then each check's message (inline Markdown). */
function renderResult(result: ExerciseResult): Node[] {
  const list = document.createElement('ul');
  for (const r of result.results) {
    const li = markdownElement('li', r.message, `check-result ${r.passed ? 'ok' : 'ko'}`);
    if (r.diff)
      li.append(
        Object.assign(document.createElement('pre'), { className: 'check-diff', textContent: r.diff, tabIndex: 0 }),
      );
    list.append(li);
  }
  const summary = Object.assign(document.createElement('p'), {
    className: 'check-summary',
    textContent: text(result.passed ? 'exercise.passed' : 'exercise.failed'),
  });
  return [summary, list];
}

/** A copy button for `content`, labelled Copy / Copied. */
function copyButton(content: string, label: string): HTMLButtonElement {
  const button = Object.assign(document.createElement('button'), { type: 'button', className: 'copy-button' });
  button.textContent = text('command.copy');
  button.setAttribute('aria-label', `${text('command.copy')}: ${label}`);
  button.addEventListener('click', async () => {
    await navigator.clipboard?.writeText(content).catch(() => undefined);
    button.textContent = text('command.copied');
    setTimeout(() => (button.textContent = text('command.copy')), 1500);
  });
  return button;
}

/** The reference solution: its commands, then every file it writes, in full, each with Copy. */
function renderSolution(solution: SolutionResult): Node[] {
  const block = (title: string, content: string) => {
    const figure = Object.assign(document.createElement('figure'), { className: 'solution-block' });
    const caption = document.createElement('figcaption');
    caption.append(...inlineMarkdown(title), ' ', copyButton(content, title.replaceAll('`', '')));
    // Scrolls sideways for long lines: focusable, so keyboard users can scroll it too.
    const pre = Object.assign(document.createElement('pre'), { tabIndex: 0 });
    pre.append(Object.assign(document.createElement('code'), { textContent: content }));
    figure.append(caption, pre);
    return figure;
  };
  const nodes: Node[] = [];
  if (solution.commands.length) nodes.push(block(text('solution.commands'), solution.commands.join('\n')));
  for (const [path, content] of Object.entries(solution.files))
    nodes.push(block(text('solution.file', { path: `\`${path}\`` }), content));
  return nodes;
}

/** What "Apply the solution" did: the files written, or the command that failed with its output. */
function renderApplied(result: ApplyResult): Node[] {
  const failed = result.commands.find((c) => c.exitCode !== 0);
  if (!failed) {
    const list = document.createElement('ul');
    for (const path of result.files) {
      const li = document.createElement('li');
      li.append(Object.assign(document.createElement('code'), { textContent: path }));
      list.append(li);
    }
    const done = Object.assign(document.createElement('p'), {
      className: 'apply-summary',
      textContent: text('exercise.applied'),
    });
    return result.files.length ? [done, list] : [done];
  }
  const why = Object.assign(document.createElement('p'), {
    className: 'apply-summary failed',
    textContent: text('exercise.applyFailed', { code: failed.exitCode }),
  });
  const pre = Object.assign(document.createElement('pre'), { className: 'check-diff', tabIndex: 0 });
  pre.append(Object.assign(document.createElement('code'), { textContent: `$ ${failed.command}\n${failed.output}` }));
  return [why, pre];
}

/** The Apply button of a revealed solution: the server writes its files and runs its commands as the learner. */
function applyButton(id: string, feedback: HTMLElement): HTMLButtonElement {
  const button = Object.assign(document.createElement('button'), {
    type: 'button',
    className: 'exercise-apply',
    textContent: text('exercise.apply'),
  });
  let applying = false;
  button.addEventListener('click', async () => {
    if (!session || session.state !== 'ready') return void (feedback.textContent = text('exercise.needSession'));
    if (applying || !confirm(text('exercise.applyConfirm'))) return;
    applying = true;
    button.setAttribute('aria-disabled', 'true');
    feedback.textContent = text('exercise.applying');
    try {
      feedback.replaceChildren(...renderApplied(await api.apply(session.id, id)));
    } catch (error) {
      feedback.textContent = errorText(error);
    } finally {
      applying = false;
      button.removeAttribute('aria-disabled');
    }
  });
  return button;
}

const exerciseSections = () => [...document.querySelectorAll<HTMLElement>('.exercise')];

/** After a pass: the next unfinished exercise opens; after the last, the completion view. */
function advance(section: HTMLElement, feedback: HTMLElement): void {
  const sections = exerciseSections();
  const next =
    sections.slice(sections.indexOf(section) + 1).find((s) => !s.classList.contains('passed')) ??
    sections.find((s) => !s.classList.contains('passed'));
  for (const s of sections) s.classList.toggle('current', s === next);
  if (!next) return void showCompletion(feedback);
  const title = next.querySelector('h2')?.textContent?.trim() ?? '';
  const go = Object.assign(document.createElement('button'), {
    type: 'button',
    className: 'exercise-next',
    textContent: text('exercise.next', { title }),
  });
  go.addEventListener('click', () => {
    next.scrollIntoView({ block: 'start' });
    next.querySelector<HTMLElement>('h2')?.focus();
  });
  feedback.append(go);
  // Show where the next exercise starts without taking focus away from Check.
  next.scrollIntoView({ block: 'nearest' });
}

/** Every exercise passed: what was practised, where to go next, the module's progress. */
function showCompletion(feedback: HTMLElement): void {
  const view = $<HTMLElement>('.lab-complete');
  view.hidden = false;
  feedback.append(Object.assign(document.createElement('p'), { textContent: text('lab.complete.title') }));
  view.scrollIntoView({ block: 'nearest' });
  void api
    .progress()
    .then(({ progress }) => {
      const passed = new Set(progress.filter((p) => p.passed).map((p) => `${p.lab}/${p.exercise}`));
      const labs = config.moduleLabs;
      const done = labs.filter((l) => l.exercises.every((e) => passed.has(`${l.id}/${e}`))).length;
      $<HTMLElement>('.lab-complete-module').textContent = text('lab.complete.module', { done, total: labs.length });
    })
    .catch(() => undefined);
}

/** Exercises: Check, progressive hints, the solution. */
function setupExercises(): void {
  const progress = localProgress()[config.lab] ?? {};
  for (const section of exerciseSections()) {
    const id = section.dataset.exercise!;
    if (progress[id]) section.classList.add('passed');
    section.querySelector('h2')?.setAttribute('tabindex', '-1');
    const feedback = $<HTMLElement>('.exercise-feedback', section);
    const check = $<HTMLButtonElement>('.exercise-check', section);
    let checking = false;
    check.addEventListener('click', async () => {
      if (!session || session.state !== 'ready') {
        feedback.textContent = text('exercise.needSession');
        return;
      }
      if (checking) return;
      // Busy, not disabled: a disabled button drops the focus to the top of the page.
      checking = true;
      check.setAttribute('aria-disabled', 'true');
      feedback.textContent = text('exercise.checking');
      try {
        const result = await api.check(session.id, id, config.locale);
        feedback.replaceChildren(...renderResult(result));
        const before = section.classList.contains('passed');
        section.classList.toggle('passed', result.passed || before);
        saveLocalProgress(config.lab, id, result.passed);
        if (result.passed) advance(section, feedback);
      } catch (error) {
        feedback.textContent = errorText(error);
      } finally {
        checking = false;
        check.removeAttribute('aria-disabled');
      }
    });
    const hintButton = $<HTMLButtonElement>('.exercise-hint', section);
    hintButton.addEventListener('click', async () => {
      if (!session) return void (feedback.textContent = text('exercise.needSession'));
      try {
        const { hints, remaining } = await api.hint(session.id, id, config.locale);
        $<HTMLElement>('.exercise-hints', section).replaceChildren(...hints.map((h) => markdownElement('li', h)));
        hintButton.textContent = remaining > 0 ? text('exercise.moreHints') : text('exercise.noMoreHints');
        if (remaining === 0) hintButton.setAttribute('aria-disabled', 'true');
      } catch (error) {
        feedback.textContent = errorText(error);
      }
    });
    $<HTMLButtonElement>('.exercise-solution', section).addEventListener('click', async () => {
      if (!confirm(text('exercise.solutionConfirm'))) return;
      try {
        // Solutions need no session: they are read from the lab.
        const solution = await api.solution(config.lab, id);
        const box = $<HTMLElement>('.exercise-solution-box', section);
        box.hidden = false;
        box.replaceChildren(applyButton(id, feedback), ...renderSolution(solution));
      } catch (error) {
        feedback.textContent = errorText(error);
      }
    });
  }
  // The server is the source of truth; refresh the marks from it.
  void api
    .progress(config.lab)
    .then(({ progress: rows }) => {
      for (const row of rows) {
        if (!row.passed) continue;
        saveLocalProgress(config.lab, row.exercise, true);
        document.querySelector(`.exercise[data-exercise="${row.exercise}"]`)?.classList.add('passed');
      }
    })
    .catch(() => undefined);
}

/** An API failure in the learner's language (the server's code picks the text; its English message never shows). */
function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return text('lab.serverDown');
    const key = `error.${error.code}`;
    if (key in config.strings) return text(key);
  }
  return text('error.generic');
}

function setupCommands(): void {
  for (const box of document.querySelectorAll<HTMLElement>('.command')) {
    // Copy is handled on every page by copy-buttons.ts.
    const command = box.dataset.command ?? '';
    $<HTMLButtonElement>('.command-run', box).addEventListener('click', () => {
      const view = terminals.get(active);
      if (view) view.run(command);
      else $<HTMLElement>('.lab-status-text').textContent = text('exercise.needSession');
    });
  }
}

function setupSplitter(): void {
  const splitter = $<HTMLElement>('.lab-splitter');
  const setSplit = (percent: number) => {
    const value = Math.min(80, Math.max(20, Math.round(percent)));
    root.style.setProperty('--split', `${value}%`);
    splitter.setAttribute('aria-valuenow', String(value));
  };
  splitter.addEventListener('pointerdown', (down) => {
    splitter.setPointerCapture(down.pointerId);
    const move = (e: PointerEvent) =>
      setSplit(((e.clientX - root.getBoundingClientRect().left) / root.clientWidth) * 100);
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', () => splitter.removeEventListener('pointermove', move), { once: true });
  });
  splitter.addEventListener('keydown', (e) => {
    const now = Number(splitter.getAttribute('aria-valuenow'));
    if (e.key === 'ArrowLeft') setSplit(now - 5);
    else if (e.key === 'ArrowRight') setSplit(now + 5);
    else return;
    e.preventDefault();
  });
}

/** Small screens: the Instructions / Terminal tabs (the layout is CSS; this switches them). */
function setupViews(): void {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('.lab-view')];
  const show = (view: string, focus: boolean) => {
    root.dataset.view = view;
    for (const b of buttons) {
      const selected = b.dataset.view === view;
      b.setAttribute('aria-selected', String(selected));
      b.tabIndex = selected ? 0 : -1;
    }
    if (view === 'terminal') selectTerminal(active, focus);
  };
  for (const b of buttons) b.addEventListener('click', () => show(b.dataset.view!, true));
  // "Run in the terminal" on a small screen shows the terminal it typed into.
  document.addEventListener('click', (e) => {
    if ((e.target as Element).closest('.command-run') && matchMedia('(max-width: 50rem)').matches)
      show('terminal', false);
  });
}

function setupControls(): void {
  status.retry.addEventListener('click', () => void start());
  banner.retry.addEventListener('click', () => {
    setBanner(text('lab.reconnecting'));
    if (terminals.size === 0) void start();
    for (const view of terminals.values()) view.retry();
  });
  $<HTMLButtonElement>('.terminal-add').addEventListener('click', () => {
    let n = 2;
    while (terminals.has(`t${n}`)) n++;
    openTerminal(`t${n}`);
    selectTerminal(active, true);
  });
  $<HTMLInputElement>('.terminal-sr-toggle').addEventListener('change', (e) => {
    for (const view of terminals.values()) view.setScreenReaderMode((e.target as HTMLInputElement).checked);
  });
  tabs.addEventListener('keydown', (e) => {
    const names = [...terminals.keys()];
    const index = names.indexOf(active);
    if (e.key === 'ArrowRight' && index < names.length - 1) selectTerminal(names[index + 1]!);
    else if (e.key === 'ArrowLeft' && index > 0) selectTerminal(names[index - 1]!);
    else return;
    tabs.querySelector<HTMLElement>('[aria-selected="true"]')?.focus();
  });
  const reset = $<HTMLButtonElement>('.lab-reset');
  reset.addEventListener('click', async () => {
    if (!session || !confirm(reset.dataset.confirm ?? '')) return;
    closeTerminals();
    await follow(await api.reset(session.id));
  });
  $<HTMLButtonElement>('.lab-end').addEventListener('click', async () => {
    if (!session) return;
    const id = session.id;
    // Close the terminals first, so their sockets closing is not taken for a lost connection.
    endedHere(text('lab.ended'));
    await api.end(id).catch(() => undefined);
  });
  closeButton.addEventListener('click', () => closeTerminal(active));
  timer.extend.addEventListener('click', async () => {
    const current = session;
    if (!current || timer.extend.getAttribute('aria-disabled') === 'true') return;
    timer.extend.setAttribute('aria-disabled', 'true');
    try {
      session = await api.extend(current.id);
      renderTimer();
      timer.alert.textContent = text('lab.extended', { time: duration(Date.parse(session.expiresAt) - Date.now()) });
    } catch (error) {
      timer.alert.textContent = errorText(error);
      timer.text.textContent = errorText(error);
    } finally {
      timer.extend.removeAttribute('aria-disabled');
    }
  });
}

async function checkTools(): Promise<void> {
  if (config.tools.length === 0) return;
  const present = await api.tools(config.tools).catch(() => ({}) as Record<string, boolean>);
  for (const p of document.querySelectorAll<HTMLElement>('.lab-tool'))
    p.hidden = present[p.dataset.tool ?? ''] === true;
}

setupExercises();
setupCommands();
setupSplitter();
setupControls();
setupViews();
void checkTools();
void start();
