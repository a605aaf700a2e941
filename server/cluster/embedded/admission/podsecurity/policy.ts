import { FieldError } from '../../api/status.ts';
import type { Level } from './checks.ts';
import type { LevelVersion } from './evaluate.ts';

const prefix = 'pod-security.kubernetes.io/';
const levels: Level[] = ['privileged', 'baseline', 'restricted'];
export type Mode = 'enforce' | 'audit' | 'warn';

export type NamespacePolicy = Record<Mode, LevelVersion>;

const privilegedLatest: LevelVersion = { level: 'privileged', version: 'latest' };

/** Reads the pod-security.kubernetes.io labels; unset modes are privileged, warn defaults to enforce. */
export function policyFromLabels(labels: Record<string, string> = {}): {
  policy: NamespacePolicy;
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const read = (mode: Mode): LevelVersion | undefined => {
    const level = labels[`${prefix}${mode}`];
    const version = labels[`${prefix}${mode}-version`] ?? 'latest';
    let result: LevelVersion | undefined;
    if (level !== undefined) {
      if (!levels.includes(level as Level)) {
        errors.push(
          FieldError.invalid(`metadata.labels[${prefix}${mode}]`, level, `must be one of ${levels.join(', ')}`),
        );
      } else result = { level: level as Level, version };
    }
    if (
      labels[`${prefix}${mode}-version`] !== undefined &&
      version !== 'latest' &&
      !/^v1\.(0|[1-9]\d*)$/.test(version)
    ) {
      errors.push(
        FieldError.invalid(`metadata.labels[${prefix}${mode}-version]`, version, 'must be "latest" or "v1.x"'),
      );
      return undefined;
    }
    return result;
  };
  const enforce = read('enforce');
  const audit = read('audit');
  const warn = read('warn');
  return {
    policy: {
      enforce: enforce ?? privilegedLatest,
      audit: audit ?? privilegedLatest,
      warn: warn ?? enforce ?? privilegedLatest,
    },
    errors,
  };
}

export function display(policy: LevelVersion): string {
  return `${policy.level}:${policy.version}`;
}
