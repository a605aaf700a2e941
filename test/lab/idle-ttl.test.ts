import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../server/lab/backends/embedded.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { SessionManager } from '../../server/lab/sessions.ts';
import { LabStore } from '../../server/lab/store.ts';
import { openClassroomStore } from '../../server/lab/store/open.ts';
import { projectRoot } from '../helpers/project.ts';

describe('idle TTL', () => {
  it('counts typing in a terminal as activity; a silent session is ended', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'idle-ttl-'));
    const store = new LabStore(join(dataDir, 'lab.sqlite'));
    const idleTtlMs = 60_000;
    const sessions = new SessionManager({
      store,
      progress: await openClassroomStore(undefined, store),
      labs: await loadLabs(join(projectRoot, 'labs')),
      backends: [new EmbeddedBackend()],
      dataDir,
      limits: { idleTtlMs },
    });
    try {
      const typing = await sessions.create('typist', 'security-basics');
      const silent = await sessions.create('silent', 'security-basics');
      await sessions.whenReady(typing.id);
      await sessions.whenReady(silent.id);
      const start = Date.now();
      // The learner typed 50 s after the last API call (input reaches the shell over its WebSocket).
      sessions.terminal(typing.id, 'main').lastInput = start + 50_000;
      const ended = await sessions.reap(start + idleTtlMs + 20_000);
      expect(ended).toEqual([silent.id]);
      expect(sessions.get(typing.id).state).toBe('ready');
      expect(await sessions.reap(start + 50_000 + idleTtlMs + 1000)).toEqual([typing.id]);
    } finally {
      await sessions.shutdown();
      store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
