import { FieldError } from '../../api/status.ts';
import { validateName } from '../meta-validation.ts';
import { asArray, createdAtColumn, field } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;

export const customresourcedefinitions: ResourceDef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  listKind: 'CustomResourceDefinitionList',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'CustomResourceDefinition', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults(crd) {
      const spec = (crd.spec ??= {}) as Obj;
      const names = (spec.names ??= {}) as Obj;
      if (typeof names.kind === 'string') {
        names.singular ??= names.kind.toLowerCase();
        names.listKind ??= `${names.kind}List`;
      }
      spec.conversion ??= { strategy: 'None' };
      for (const version of asArray(spec.versions)) {
        const columns = asArray(version.additionalPrinterColumns);
        for (const column of columns) column.priority ??= 0;
      }
    },
    validate(crd) {
      const errs: FieldError[] = [];
      const spec = (crd.spec ?? {}) as Obj;
      const names = (spec.names ?? {}) as Obj;
      const group = spec.group;
      if (typeof group !== 'string' || !group) errs.push(FieldError.required('spec.group', ''));
      else if (!group.includes('.'))
        errs.push(FieldError.invalid('spec.group', group, 'should be a domain with at least one dot'));
      if (!names.plural) errs.push(FieldError.required('spec.names.plural', ''));
      else errs.push(...validateName('dns1123Label', String(names.plural), 'spec.names.plural'));
      if (!names.kind) errs.push(FieldError.required('spec.names.kind', ''));
      if (!['Namespaced', 'Cluster'].includes(String(spec.scope))) {
        errs.push(FieldError.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
      }
      if (names.plural && group && crd.metadata.name !== `${names.plural}.${group}`) {
        errs.push(FieldError.invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
      }
      const versions = asArray(spec.versions);
      if (versions.length === 0)
        errs.push(FieldError.required('spec.versions', 'must have exactly one version marked as storage version'));
      else if (versions.filter((v) => v.storage === true).length !== 1) {
        errs.push(
          FieldError.invalid(
            'spec.versions',
            versions.map((v) => v.name),
            'must have exactly one version marked as storage version',
          ),
        );
      }
      versions.forEach((v, i) => {
        if (!v.name) errs.push(FieldError.required(`spec.versions[${i}].name`, ''));
        if (typeof v.served !== 'boolean') errs.push(FieldError.required(`spec.versions[${i}].served`, ''));
        if (!field(v, 'schema', 'openAPIV3Schema')) {
          errs.push(FieldError.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
        }
      });
      return errs;
    },
    onUpdate(crd, old) {
      const scope = field(crd, 'spec', 'scope');
      return scope === field(old, 'spec', 'scope')
        ? []
        : [FieldError.invalid('spec.scope', scope, 'field is immutable')];
    },
    columns: [createdAtColumn],
  },
};
