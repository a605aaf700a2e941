import type { z } from 'zod';
import type { Check } from '../../src/contracts/lab.ts';
import type { Locale } from '../../src/contracts/locales.ts';
import type { Params } from '../../src/contracts/translator.ts';
import type { GradingContext } from './types.ts';

/** What a check found, in the learner's language. */
export interface Outcome {
  passed: boolean;
  message: string;
  /** For assert failures: expected vs actual, readable. */
  diff?: string;
}

/** The plug-in's own texts, in the learner's locale. */
export type Say<K extends string> = (key: K, params?: Params) => string;

/**
 * One check kind, self-contained as Chainsaw's operations are: its lab.yaml fields, its
 * texts in every locale and how it runs. Each file in server/grading/checks/ default-exports
 * one, named after its kind; server/grading/registry.ts finds them.
 */
export interface CheckPlugin<S extends z.ZodObject = z.ZodObject, K extends string = string> {
  /** The `kind:` value in lab.yaml, also the plug-in's file name. */
  kind: string;
  /** The kind's fields, `kind: z.literal(...)` included; the common fields (message, timeoutSeconds…) are added. */
  schema: S;
  /** Learner-facing texts, the same keys in every locale. */
  messages: Record<Locale, Record<K, string>>;
  /**
   * The state it checks converges (controllers, Kyverno reports, kind): retry until it
   * passes or until timeoutSeconds, as Chainsaw's assert does, instead of checking once.
   */
  eventually?: boolean;
  run(check: z.infer<S> & Check, ctx: GradingContext, say: Say<K>): Promise<Outcome>;
}

/** Declares a check kind; the identity function that gives the plug-in its types. */
export function defineCheck<S extends z.ZodObject, K extends string>(plugin: CheckPlugin<S, K>): CheckPlugin<S, K> {
  return plugin;
}
