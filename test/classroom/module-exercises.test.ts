import { describe, expect, it } from 'vitest';
import { moduleExercises } from '../../server/classroom/certificates.ts';

const labs = [
  { id: 'escape', module: 'hardening', backends: ['kind'], exercises: [{ id: 'break-out' }] },
  {
    id: 'harden',
    module: 'hardening',
    backends: ['embedded', 'kind'],
    exercises: [{ id: 'drop-caps' }, { id: 'attack', backends: ['kind'] }],
  },
  { id: 'only-kind', module: 'runtime', backends: ['kind'], exercises: [{ id: 'falco' }] },
];

describe('the exercises a module certificate needs', () => {
  it('are every exercise this server can grade', () => {
    const withKind = moduleExercises(labs, new Set(['embedded', 'kind']));
    expect(withKind.get('hardening')).toEqual([
      { lab: 'escape', exercise: 'break-out' },
      { lab: 'harden', exercise: 'drop-caps' },
      { lab: 'harden', exercise: 'attack' },
    ]);
    const embeddedOnly = moduleExercises(labs, new Set(['embedded']));
    expect(embeddedOnly.get('hardening')).toEqual([{ lab: 'harden', exercise: 'drop-caps' }]);
    // Nothing gradable here: no certificate can be issued for it (an empty list earns none).
    expect(embeddedOnly.get('runtime')).toEqual([]);
  });
});
