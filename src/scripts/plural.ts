import { fill, type Params } from '../contracts/translator.ts';

/** `forms` by CLDR plural category (one, other, …) as the page got them; `n` picks the form. */
export function plural(locale: string, forms: Record<string, string>, n: number, params: Params = {}): string {
  const form = forms[new Intl.PluralRules(locale).select(n)] ?? forms.other ?? '';
  return fill(form, { n, ...params });
}
