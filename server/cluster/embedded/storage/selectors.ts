import { FieldError } from '../api/status.ts';

/** One requirement of a label selector, as in k8s.io/apimachinery/pkg/labels. */
export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | '=' | '!=' | 'Gt' | 'Lt';
  values: string[];
}

export class SelectorParseError extends Error {}

/** Parses "app=web,tier!=db,env in (a,b),!legacy,has" into requirements. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if ((match = /^([^\s,!=()<>]+)\s+(in|notin)\s*\(([^)]*)\)\s*(,|$)/.exec(rest))) {
      const values = match[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      requirements.push({ key: match[1]!, operator: match[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((match = /^!\s*([^\s,!=()<>]+)\s*(,|$)/.exec(rest))) {
      requirements.push({ key: match[1]!, operator: 'DoesNotExist', values: [] });
    } else if ((match = /^([^\s,!=()<>]+)\s*(==|=|!=)\s*([^\s,!=()<>]*)\s*(,|$)/.exec(rest))) {
      requirements.push({ key: match[1]!, operator: match[2] === '!=' ? '!=' : '=', values: [match[3]!] });
    } else if ((match = /^([^\s,!=()<>]+)\s*([<>])\s*(-?\d+)\s*(,|$)/.exec(rest))) {
      requirements.push({ key: match[1]!, operator: match[2] === '>' ? 'Gt' : 'Lt', values: [match[3]!] });
    } else if ((match = /^([^\s,!=()<>]+)\s*(,|$)/.exec(rest))) {
      requirements.push({ key: match[1]!, operator: 'Exists', values: [] });
    } else {
      throw new SelectorParseError(`unable to parse requirement: found '${rest}', expected: identifier`);
    }
    rest = rest.slice(match[0].length).trim();
  }
  return requirements;
}

export function matchesRequirements(requirements: Requirement[], labels: Record<string, string> = {}): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case '=':
      case 'In':
        return has && r.values.includes(value!);
      case '!=':
      case 'NotIn':
        return !has || !r.values.includes(value!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'Gt':
        return has && Number(value) > Number(r.values[0]);
      case 'Lt':
        return has && Number(value) < Number(r.values[0]);
    }
    return false;
  });
}

/** Requirements of a metav1.LabelSelector object. */
export function labelSelectorRequirements(selector: Record<string, unknown>): Requirement[] {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries((selector.matchLabels as Record<string, string>) ?? {})) {
    requirements.push({ key, operator: '=', values: [value] });
  }
  for (const expr of (selector.matchExpressions as Array<{ key: string; operator: string; values?: string[] }>) ?? []) {
    requirements.push({ key: expr.key, operator: expr.operator as Requirement['operator'], values: expr.values ?? [] });
  }
  return requirements;
}

/** Whether a metav1.LabelSelector selects these labels (an empty selector selects everything). */
export function selectorMatches(selector: Record<string, unknown>, labels: Record<string, string> = {}): boolean {
  return matchesRequirements(labelSelectorRequirements(selector), labels);
}

const operators = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(selector: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const exprs = (selector.matchExpressions as Array<Record<string, unknown>>) ?? [];
  exprs.forEach((expr, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!operators.includes(String(expr.operator))) {
      errs.push(FieldError.notSupported(`${at}.operator`, expr.operator, operators));
      return;
    }
    const values = (expr.values as unknown[]) ?? [];
    if ((expr.operator === 'In' || expr.operator === 'NotIn') && values.length === 0) {
      errs.push(FieldError.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    }
    if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(
        FieldError.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
      );
    }
  });
  return errs;
}

/** A parsed field selector: "metadata.name=web,status.phase!=Running". */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: match[1]!, operator: match[2] === '!=' ? '!=' : '=', value: match[3]! };
  });
}
