import { describe, expect, it } from 'vitest';
import { rfc3339 } from '../../server/cluster/embedded/api/time.ts';

describe('rfc3339', () => {
  it('writes whole seconds in UTC, the same within a second and new for the next', () => {
    expect(rfc3339(new Date('2026-03-01T10:20:30.456Z'))).toBe('2026-03-01T10:20:30Z');
    expect(rfc3339(new Date('2026-03-01T10:20:30.999Z'))).toBe('2026-03-01T10:20:30Z');
    expect(rfc3339(new Date('2026-03-01T10:20:31.001Z'))).toBe('2026-03-01T10:20:31Z');
    expect(rfc3339(new Date('1999-12-31T23:59:59.500Z'))).toBe('1999-12-31T23:59:59Z');
    expect(() => rfc3339(new Date('not a date'))).toThrow(RangeError);
  });
});
