import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../src/contracts/protocol.ts';
import { readJson, sendJson } from '../http/json.ts';
import type { ConnectionCounter } from '../http/security.ts';
import type { Account, ClassInfo, ClassroomStore } from '../lab/store/types.ts';
import { requireRole, type Identities, type Identity } from './identity.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { buildRoster, rosterCsv, type LearnerSessions } from './roster.ts';

/** What an instructor may do to a learner's lab sessions on this server. */
export interface LabControl extends LearnerSessions {
  end(sessionId: string): Promise<void>;
  reset(sessionId: string, learnerId: string): Promise<unknown>;
  extend(sessionId: string, ms: number): number;
}

export interface ClassContext {
  store: ClassroomStore;
  identities: Identities;
  lab: LabControl;
  streams: ConnectionCounter;
  /** How often an open roster stream looks for changes made elsewhere (sessions, other replicas). */
  pollMs: number;
}

function time(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null || value === '') return null;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new ApiError(400, 'bad_date', `${field} must be an ISO date such as 2026-12-24T09:00:00Z.`);
  return ms;
}

function publicClass(c: ClassInfo, withCode: boolean) {
  return {
    id: c.id,
    name: c.name,
    ...(withCode ? { joinCode: c.joinCode } : {}),
    startsAt: c.startsAt === null ? null : new Date(c.startsAt).toISOString(),
    endsAt: c.endsAt === null ? null : new Date(c.endsAt).toISOString(),
  };
}

/** The class, when `who` teaches it (or is an admin): 404 unknown, 403 someone else's. */
async function taughtClass(ctx: ClassContext, who: Identity, id: string): Promise<{ info: ClassInfo; by: Account }> {
  const by = requireRole(who, 'instructor', 'admin');
  const info = await ctx.store.classById(id);
  if (!info) throw new ApiError(404, 'unknown_class', 'No such class.');
  if (info.instructorId !== by.id && by.role !== 'admin')
    throw new ApiError(403, 'forbidden', 'Forbidden: this is not one of your classes.');
  return { info, by };
}

/** /api/classes…: create, list, join, roster (JSON, CSV, live), a learner's progress and sessions. */
export async function classRoutes(
  ctx: ClassContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Identity,
): Promise<boolean> {
  if (path !== '/api/classes' && !path.startsWith('/api/classes/')) return false;
  const method = req.method ?? 'GET';
  ctx.identities.requireCsrf(req, who);
  const { store } = ctx;

  if (path === '/api/classes' && method === 'POST') {
    const by = requireRole(who, 'instructor', 'admin');
    const body = await readJson(req);
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name || name.length > 120)
      throw new ApiError(400, 'bad_request', 'A class needs a name (120 characters at most).');
    const startsAt = time(body, 'startsAt');
    const endsAt = time(body, 'endsAt');
    if (startsAt !== null && endsAt !== null && endsAt <= startsAt)
      throw new ApiError(400, 'bad_date', 'endsAt must come after startsAt.');
    const info = await store.createClass({ name, instructorId: by.id, startsAt, endsAt });
    sendJson(res, 201, { class: publicClass(info, true) });
    return true;
  }
  if (path === '/api/classes' && method === 'GET') {
    const account = requireRole(who, 'learner', 'instructor', 'admin');
    sendJson(res, 200, {
      teaching: (await store.classesOfInstructor(account.id)).map((c) => publicClass(c, true)),
      member: (await store.classesOfMember(account.id)).map((c) => publicClass(c, false)),
    });
    return true;
  }
  if (path === '/api/classes/join' && method === 'POST') {
    const account = requireRole(who, 'learner', 'instructor', 'admin');
    const body = await readJson(req);
    const code = typeof body.code === 'string' ? body.code : '';
    const info = /^[A-Za-z0-9]{8}$/.test(code.trim()) ? await store.classByCode(code) : undefined;
    if (!info) throw new ApiError(404, 'unknown_code', 'No class has that join code.');
    const now = Date.now();
    if (info.startsAt !== null && now < info.startsAt)
      throw new ApiError(409, 'class_not_started', `This class opens on ${new Date(info.startsAt).toISOString()}.`);
    if (info.endsAt !== null && now >= info.endsAt) throw new ApiError(410, 'class_ended', 'This class has ended.');
    await store.joinClass(info.id, account.id);
    sendJson(res, 200, { class: publicClass(info, false) });
    return true;
  }

  const m = /^\/api\/classes\/([A-Za-z0-9_-]{1,64})\/(roster|roster\.csv|events)$/.exec(path);
  if (m && method === 'GET') {
    const { info } = await taughtClass(ctx, who, m[1]!);
    if (m[2] === 'roster') {
      sendJson(res, 200, await buildRoster(store, ctx.lab, info));
      return true;
    }
    if (m[2] === 'roster.csv') {
      const csv = rosterCsv(await buildRoster(store, ctx.lab, info));
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="roster-${info.id}.csv"`,
        'cache-control': 'no-store',
      });
      res.end(csv);
      return true;
    }
    streamRoster(ctx, req, res, info, who.account!.id);
    return true;
  }

  const passwordPath = /^\/api\/classes\/([A-Za-z0-9_-]{1,64})\/learners\/([A-Za-z0-9_-]{1,64})\/password$/.exec(path);
  if (passwordPath && method === 'POST') {
    const { info } = await taughtClass(ctx, who, passwordPath[1]!);
    const member = (await store.classMembers(info.id)).find((a) => a.id === passwordPath[2]);
    if (!member) throw new ApiError(404, 'unknown_learner', 'That learner is not in this class.');
    // An instructor resets learners' passwords, never another instructor's or an admin's.
    if (member.role !== 'learner' && who.account!.role !== 'admin')
      throw new ApiError(403, 'forbidden', 'Forbidden: only an admin resets an instructor’s or admin’s password.');
    const body = await readJson(req);
    const password = typeof body.password === 'string' ? body.password : '';
    const problem = passwordProblem(password);
    if (problem) throw new ApiError(400, 'weak_password', problem);
    // Signs the learner out everywhere.
    await store.setPasswordHash(member.id, await hashPassword(password));
    sendJson(res, 200, { learner: member.username, passwordReset: true });
    return true;
  }

  const learnerPath =
    /^\/api\/classes\/([A-Za-z0-9_-]{1,64})\/learners\/([A-Za-z0-9_-]{1,64})(?:\/session\/(end|reset|extend))?$/.exec(
      path,
    );
  if (learnerPath) {
    const [, classId, accountId, action] = learnerPath;
    const { info } = await taughtClass(ctx, who, classId!);
    const member = (await store.classMembers(info.id)).find((a) => a.id === accountId);
    if (!member) throw new ApiError(404, 'unknown_learner', 'That learner is not in this class.');
    if (!action && method === 'GET') {
      sendJson(res, 200, {
        learner: { id: member.id, username: member.username },
        progress: await store.progressFor(member.learnerId),
        sessions: ctx.lab.sessionsOf(member.learnerId).map((s) => ({ id: s.id, labId: s.labId, state: s.state })),
      });
      return true;
    }
    if (action && method === 'POST') {
      const body = await readJson(req);
      const live = ctx.lab.sessionsOf(member.learnerId);
      if (live.length === 0) throw new ApiError(404, 'no_session', `${member.username} has no open lab session.`);
      if (action === 'extend') {
        const minutes = body.minutes === undefined ? 30 : Number(body.minutes);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 480)
          throw new ApiError(400, 'bad_request', 'minutes must be a whole number from 1 to 480.');
        for (const s of live) ctx.lab.extend(s.id, minutes * 60_000);
      } else if (action === 'reset') {
        for (const s of live) await ctx.lab.reset(s.id, member.learnerId);
      } else {
        for (const s of live) await ctx.lab.end(s.id);
      }
      sendJson(res, 200, { learner: member.username, action, sessions: live.map((s) => s.id) });
      return true;
    }
  }
  throw new ApiError(404, 'not_found', `No API endpoint at ${method} ${path}`);
}

/** SSE: the roster now, then again whenever it changes (a member's progress at once, anything else on a poll). */
function streamRoster(
  ctx: ClassContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ClassInfo,
  viewer: string,
): void {
  const release = ctx.streams.acquire(viewer);
  if (!release) throw new ApiError(429, 'too_many_streams', 'Too many open roster streams.');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  let last = '';
  let closed = false;
  let running = Promise.resolve();
  const send = () => {
    running = running
      .then(async () => {
        if (closed) return;
        const text = JSON.stringify(await buildRoster(ctx.store, ctx.lab, info));
        if (text !== last && !closed) {
          last = text;
          res.write(`event: roster\ndata: ${text}\n\n`);
        }
      })
      .catch(() => undefined);
  };
  send();
  const stop = ctx.store.onProgress(() => send());
  const timer = setInterval(send, ctx.pollMs);
  req.on('close', () => {
    closed = true;
    clearInterval(timer);
    stop();
    release();
  });
}
