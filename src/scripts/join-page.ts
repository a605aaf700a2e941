/** The join page: a class code (from ?code= or typed) for a signed-in learner. */
import { classroomApi, onSubmit, pageConfig } from './classroom-client.ts';

const root = document.querySelector<HTMLElement>('.join-page')!;
const { text } = pageConfig(root);
const form = root.querySelector<HTMLFormElement>('.join-form')!;
const code = new URLSearchParams(location.search).get('code');
if (code) form.querySelector<HTMLInputElement>('input[name="code"]')!.value = code.slice(0, 8);

onSubmit(form, async (v) => text('join.joined', { name: (await classroomApi.join(v.code ?? '')).class.name }), text);
void classroomApi
  .me()
  .then(({ account }) => {
    root.querySelector<HTMLElement>(account ? '.join-box' : '.join-signin')!.hidden = false;
  })
  .catch(() => undefined);
