import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../server/config.ts';

describe('class server flags (README: Running a class)', () => {
  it('reads session, rate, connection, resource and cluster limits', () => {
    const c = readConfig(
      [
        '--max-sessions',
        '30',
        '--max-sessions-per-ip',
        '35',
        '--creates-per-ip',
        '40',
        '--creates-per-learner',
        '3',
        '--checks-per-learner',
        '20',
        '--streams-per-learner',
        '4',
        '--sockets-per-session',
        '6',
        '--session-memory',
        '512M',
        '--cluster-pods',
        '300',
        '--public-url',
        'https://labs.example.org',
      ],
      {},
    );
    expect([c.maxSessions, c.maxSessionsPerAddress, c.createsPerIpPerMinute, c.createsPerLearnerPerMinute]).toEqual([
      30, 35, 40, 3,
    ]);
    expect([c.checksPerLearnerPerMinute, c.streamsPerLearner, c.socketsPerSession]).toEqual([20, 4, 6]);
    expect(c.resources.memoryBytes).toBe(512 * 1024 * 1024);
    expect(c.cluster.maxPods).toBe(300);
    expect(c.publicUrls).toEqual(['https://labs.example.org']);
    const d = readConfig([], {});
    expect([d.createsPerIpPerMinute, d.createsPerLearnerPerMinute, d.checksPerLearnerPerMinute]).toEqual([30, 6, 60]);
  });

  it('refuses limits that are not positive integers, and malformed public URLs', () => {
    expect(() => readConfig(['--creates-per-ip', '0'], {})).toThrow(ConfigError);
    expect(() => readConfig(['--checks-per-learner', 'lots'], {})).toThrow(
      /--checks-per-learner must be a positive integer/,
    );
    expect(() => readConfig(['--public-url', 'labs.example.org'], {})).toThrow(ConfigError);
  });
});
