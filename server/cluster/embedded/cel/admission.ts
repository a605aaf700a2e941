import { CelEnvironment, type CompileResult } from './environment.ts';
import { registerAuthz } from './library/authz.ts';

/** Variables every admission expression sees (k8s.io/apiserver/pkg/admission/plugin/cel). */
const base = ['object', 'oldObject', 'request', 'namespaceObject', 'authorizer'];

/** The variables a policy's expressions may use: params only with a paramKind. */
export function policyVariables(hasParams: boolean, withVariables = true): string[] {
  return [...base, ...(hasParams ? ['params'] : []), ...(withVariables ? ['variables'] : [])];
}

const environments = new Map<string, CelEnvironment>();

export function admissionEnvironment(variables: string[]): CelEnvironment {
  const key = variables.join(',');
  let env = environments.get(key);
  if (!env) {
    env = new CelEnvironment(variables, [registerAuthz]);
    environments.set(key, env);
  }
  return env;
}

export function compileAdmissionExpression(expression: string, variables: string[]): CompileResult {
  return admissionEnvironment(variables).compile(expression);
}
