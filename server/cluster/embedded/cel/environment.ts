import { Environment } from '@marcbachmann/cel-js';
import { installMeter, metered, perCallLimit } from './cost.ts';
import { CelLibraryError } from './errors.ts';
import { registerCollections, setOptionalFactory } from './library/collections.ts';
import { registerFormats } from './library/format.ts';
import { registerNetwork } from './library/network.ts';
import { registerQuantity } from './library/quantity.ts';

/** A compiled CEL expression; run() throws CelEvaluationError. */
export interface CelProgram {
  readonly expression: string;
  run(activation: Record<string, unknown>, limit?: number): { value: unknown; cost: number };
}

export type CompileResult = { program: CelProgram; error?: undefined } | { program?: undefined; error: string };

/** A runtime error, worded as cel-go words it ("no such key: x"). */
export class CelEvaluationError extends Error {}

export type Library = (env: Environment) => void;

function position(input: string, offset: number): string {
  const before = input.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

function summary(error: unknown): string {
  const e = error as { summary?: string; message?: string };
  const text = e.summary ?? String(e.message ?? error).split('\n')[0]!;
  return text
    .replace(/^No such key/, 'no such key')
    .replace(/^Unknown variable: (.*)$/, "undeclared reference to '$1'");
}

/** Compile errors as cel-go prints them: "ERROR: <input>:1:5: message" and the source with a caret. */
export function compileErrorText(expression: string, error: unknown): string {
  const range = (error as { range?: { start: number } }).range;
  const offset = range?.start ?? 0;
  const lines = expression.split('\n');
  const at = position(expression, offset);
  const [line, column] = at.split(':').map(Number) as [number, number];
  const source = lines[line - 1] ?? '';
  return `ERROR: <input>:${at}: ${summary(error)}\n | ${source}\n | ${'.'.repeat(Math.max(0, column - 1))}^`;
}

let meterReady = false;

/**
 * A CEL environment with the libraries Kubernetes enables for admission (strings, lists,
 * regex, url, quantity, ip, cidr, format, semver, sets, math, optional types, cel.bind)
 * and the given variables, typed dyn.
 */
export class CelEnvironment {
  private readonly env: Environment;
  private readonly cache = new Map<string, CompileResult>();

  constructor(variables: readonly string[], libraries: Library[] = []) {
    const env = new Environment({
      unlistedVariablesAreDyn: false,
      enableOptionalTypes: true,
      homogeneousAggregateLiterals: false,
    });
    registerCollections(env);
    registerQuantity(env);
    registerNetwork(env);
    registerFormats(env);
    for (const library of libraries) library(env);
    for (const name of variables) env.registerVariable(name, 'dyn');
    env.registerFunction('__celMeterProbe(): bool', function probe(this: object) {
      installMeter(Object.getPrototypeOf(this) as { run: (a: unknown, c: unknown) => unknown });
      return true;
    });
    this.env = env;
    if (!meterReady) {
      const optional = env.evaluate('optional.of(1)') as { constructor: { of(v: unknown): unknown } };
      setOptionalFactory((v) => optional.constructor.of(v));
      env.evaluate('__celMeterProbe()');
      meterReady = true;
    }
  }

  compile(expression: string): CompileResult {
    let result = this.cache.get(expression);
    if (result) return result;
    try {
      const evaluate = this.env.parse(expression);
      const checked = evaluate.check();
      if (!checked.valid) throw checked.error;
      result = { program: program(expression, evaluate as unknown as (ctx: unknown) => unknown) };
    } catch (error) {
      result = { error: compileErrorText(expression, error) };
    }
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(expression, result);
    return result;
  }
}

function program(expression: string, evaluate: (ctx: unknown) => unknown): CelProgram {
  return {
    expression,
    run(activation, limit = perCallLimit) {
      const outcome = metered(limit, () => evaluate(activation));
      if (outcome.error !== undefined) {
        const error = outcome.error;
        if (error instanceof CelLibraryError) throw new CelEvaluationError(error.message);
        throw new CelEvaluationError(summary(error));
      }
      if (outcome.value instanceof Promise) throw new CelEvaluationError('asynchronous functions are not supported');
      return { value: outcome.value, cost: outcome.cost };
    },
  };
}
