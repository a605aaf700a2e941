import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import {
  clientAddress,
  ConnectionCounter,
  crossOriginRefusal,
  fromLearnerSandbox,
  isAdmin,
  RateLimiter,
  sameOrigin,
  webSecurity,
  type WebSecurity,
} from '../http/security.ts';
import type { ClassroomHttp } from '../classroom/http.ts';
import type { LessonApi } from '../lessons/routes.ts';
import { readJson, sendError, sendJson } from '../http/json.ts';
import { preferredLocale } from '../http/locale-redirect.ts';
import { toLocale } from '../../src/contracts/locales.ts';
import { ApiError, terminalLimits } from '../../src/contracts/protocol.ts';
import type { SessionManager } from './sessions.ts';
import { limitText } from './limit-texts.ts';
import { toolInstalled } from './tools.ts';

/** Rate limits and connection caps of the lab API; every value is a server flag. */
export interface ApiLimits {
  /** Session creations per client address: burst, then per minute. */
  createsPerAddress: { burst: number; perMinute: number };
  createsPerLearner: { burst: number; perMinute: number };
  /** Checks and hints per learner. */
  checksPerLearner: { burst: number; perMinute: number };
  /**
   * New anonymous learners per client address: a state-changing request without a learner
   * cookie starts one (and its progress rows), so a cookieless script would otherwise grow the store unbounded.
   */
  newLearnersPerAddress: { burst: number; perMinute: number };
  /** Open event streams per learner, terminal sockets per session. */
  streamsPerLearner: number;
  socketsPerSession: number;
}

export const defaultApiLimits: ApiLimits = {
  createsPerAddress: { burst: 30, perMinute: 30 },
  createsPerLearner: { burst: 6, perMinute: 6 },
  checksPerLearner: { burst: 30, perMinute: 60 },
  // A class behind one school NAT opening the course at once, not a script minting learners.
  newLearnersPerAddress: { burst: 60, perMinute: 30 },
  streamsPerLearner: 8,
  socketsPerSession: 16,
};

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function limited(seconds: number, what: string): ApiError {
  return new ApiError(429, 'rate_limited', `Too many ${what}; try again in ${seconds} s.`);
}

/** Whether a WebSocket Origin belongs to this site (cross-site WebSocket hijacking guard). */
export function originAllowed(origin: string | undefined, host: string | undefined, extra: string[] = []): boolean {
  if (origin === undefined) return true; // not a browser; the session token still applies
  if (extra.includes(origin)) return true;
  return sameOrigin(origin, host);
}

export interface LabHttp {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** The lab server's HTTP and WebSocket API on top of the session manager. */
export function createLabHttp(
  sessions: SessionManager,
  metrics: Registry,
  options: {
    /** Who a request is (accounts, anonymous learners) and the account and class routes. */
    classroom: ClassroomHttp;
    /** Lessons read and quizzes graded (/api/lessons/…). */
    lessons?: LessonApi;
    allowedOrigins?: string[];
    security?: WebSecurity;
    limits?: Partial<ApiLimits>;
  },
): LabHttp {
  const wss = new WebSocketServer({ noServer: true, maxPayload: terminalLimits.maxFrameBytes });
  const security = options.security ?? webSecurity({ bindHost: '127.0.0.1' });
  for (const origin of options.allowedOrigins ?? []) security.allowedOrigins.add(origin);
  const limits = { ...defaultApiLimits, ...options.limits };
  const createsByAddress = new RateLimiter(limits.createsPerAddress.burst, limits.createsPerAddress.perMinute);
  const createsByLearner = new RateLimiter(limits.createsPerLearner.burst, limits.createsPerLearner.perMinute);
  const checksByLearner = new RateLimiter(limits.checksPerLearner.burst, limits.checksPerLearner.perMinute);
  const newLearners = new RateLimiter(limits.newLearnersPerAddress.burst, limits.newLearnersPerAddress.perMinute);
  const streams = new ConnectionCounter(limits.streamsPerLearner);
  const sockets = new ConnectionCounter(limits.socketsPerSession);

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const refusal = crossOriginRefusal(req, security);
    if (refusal) throw new ApiError(403, 'cross_origin', `Forbidden: ${refusal}.`);
    if (fromLearnerSandbox(req))
      throw new ApiError(403, 'from_lab_shell', 'The lab API cannot be used from a lab terminal.');
    const path = url.pathname.replace(/\/+$/, '');
    const address = clientAddress(req, security);
    const { identities } = options.classroom;
    const who = await identities.identify(req, { issueCsrf: options.classroom.owns(path + '/') });
    if (await options.classroom.routes(req, res, path, who, address)) return;
    // A signed-in learner's cookie carries an account: every state change needs its CSRF token.
    if (who.account) identities.requireCsrf(req, who);
    // A state change by a request without a learner cookie starts a learner: counted per address
    // (behind a trusted proxy, the forwarded one). A learner with a cookie never takes from it.
    if (who.newLearner && stateChanging.has(method)) {
      const wait = newLearners.take(address);
      if (wait !== undefined) {
        const locale = url.searchParams.has('lang')
          ? toLocale(url.searchParams.get('lang'))
          : preferredLocale(req.headers['accept-language']);
        const error = new ApiError(429, 'too_many_learners', limitText(locale, 'newLearners', { seconds: wait }));
        error.retryAfter = wait;
        throw error;
      }
    }
    const learner = { id: who.learnerId };
    const cookieHeader: Record<string, string[]> = who.setCookies.length ? { 'set-cookie': who.setCookies } : {};
    if (path === '/api/sessions' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.labId !== 'string') throw new ApiError(400, 'bad_request', 'labId is required.');
      const wait = createsByAddress.take(address) ?? createsByLearner.take(learner.id);
      if (wait !== undefined) throw limited(wait, 'new labs');
      return sendJson(res, 201, await sessions.create(learner.id, body.labId, address), cookieHeader);
    }
    if (options.lessons && (await options.lessons.handle(req, res, url, learner.id, cookieHeader))) return;
    if (path === '/api/progress' && method === 'GET') {
      const lab = url.searchParams.get('lab') ?? undefined;
      const progress = await sessions.exercises.progress(learner.id, lab);
      const lessons = lab || !options.lessons ? {} : await options.lessons.progress(learner.id);
      return sendJson(res, 200, { progress, ...lessons }, cookieHeader);
    }
    const ex =
      /^\/api\/(?:sessions\/([a-f0-9]{32})|labs\/([a-z0-9-]+))\/exercises\/([a-z0-9-]+)\/(check|hint|solution|apply)$/.exec(
        path,
      );
    if (ex && method === 'POST') {
      const [, sessionId, labId, exerciseId, action] = ex as unknown as [
        string,
        string | undefined,
        string | undefined,
        string,
        string,
      ];
      const locale = toLocale(url.searchParams.get('lang'));
      if (action !== 'solution') {
        const wait = checksByLearner.take(learner.id);
        if (wait !== undefined) throw limited(wait, action === 'hint' ? 'hints' : 'checks');
      }
      if (action === 'apply') {
        if (!sessionId) throw new ApiError(400, 'bad_request', 'A solution is applied to a session.');
        return sendJson(res, 200, await sessions.applySolution(sessionId, learner.id, exerciseId), cookieHeader);
      }

      if (action === 'check') {
        if (!sessionId) throw new ApiError(400, 'bad_request', 'Checks run against a session.');
        return sendJson(
          res,
          200,
          await sessions.exercises.check(sessionId, learner.id, exerciseId, locale),
          cookieHeader,
        );
      }
      const lab = labId ?? sessions.get(sessionId!, learner.id).labId;
      if (action === 'hint')
        return sendJson(res, 200, await sessions.exercises.hint(learner.id, lab, exerciseId, locale), cookieHeader);
      return sendJson(res, 200, await sessions.exercises.solution(learner.id, lab, exerciseId), cookieHeader);
    }
    const closing = /^\/api\/sessions\/([a-f0-9]{32})\/terminals\/([a-z0-9-]{1,32})$/.exec(path);
    if (closing && method === 'DELETE') {
      const [, id, name] = closing as unknown as [string, string, string];
      const closed = sessions.closeTerminal(id, learner.id, name);
      return sendJson(res, 200, { id, terminal: name, closed }, cookieHeader);
    }
    const m = /^\/api\/sessions\/([a-f0-9]{32})(\/events|\/reset|\/extend|\/extend)?$/.exec(path);
    if (!m) throw new ApiError(404, 'not_found', `No API endpoint at ${path}`);
    const [, id, sub] = m as unknown as [string, string, string | undefined];
    if (!sub && method === 'GET') return sendJson(res, 200, sessions.get(id, learner.id), cookieHeader);
    if (!sub && method === 'DELETE') {
      await sessions.end(id, learner.id);
      return sendJson(res, 200, { id, state: 'ended' }, cookieHeader);
    }
    if (sub === '/reset' && method === 'POST')
      return sendJson(res, 200, await sessions.reset(id, learner.id), cookieHeader);
    if (sub === '/extend' && method === 'POST')
      return sendJson(res, 200, sessions.extendByLearner(id, learner.id), cookieHeader);
    if (sub === '/events' && method === 'GET') {
      const info = sessions.get(id, learner.id);
      const release = streams.acquire(learner.id);
      if (!release) throw new ApiError(429, 'too_many_streams', 'Too many open event streams.');
      req.on('close', release);
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        ...cookieHeader,
      });
      for (const stage of info.stages) res.write(`event: stage\ndata: ${JSON.stringify(stage)}\n\n`);
      const stop = sessions.onStage(id, learner.id, (stage) =>
        res.write(`event: stage\ndata: ${JSON.stringify(stage)}\n\n`),
      );
      req.on('close', stop);
      return;
    }
    throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
  };

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/metrics') {
        if (!isAdmin(req, security)) {
          sendJson(res, 403, { error: 'forbidden', message: 'Metrics need the admin token or loopback.' });
          return true;
        }
        void metrics.metrics().then((text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        });
        return true;
      }
      if (url.pathname === '/api/tools' && req.method === 'GET') {
        const names = (url.searchParams.get('names') ?? '').split(',').filter((n) => /^[a-z0-9-]{1,32}$/.test(n));
        sendJson(res, 200, Object.fromEntries(names.map((n) => [n, toolInstalled(n)])));
        return true;
      }
      if (url.pathname === '/api/labs' && req.method === 'GET') {
        sendJson(res, 200, {
          labs: sessions.labList().map((l) => ({ id: l.id, backends: l.backends, tools: l.tools })),
        });
        return true;
      }
      if (
        !options.classroom.owns(url.pathname) &&
        !url.pathname.startsWith('/api/sessions') &&
        !url.pathname.startsWith('/api/progress') &&
        !url.pathname.startsWith('/api/lessons/') &&
        !/^\/api\/labs\/[^/]+\/exercises\//.test(url.pathname)
      )
        return false;
      routes(req, res, url).catch((error: unknown) => {
        // Refused before its body was read: the rest of the body must not be parsed as the next request.
        if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
        sendError(res, error);
      });
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/api\/sessions\/([a-f0-9]{32})\/terminals\/([^/]+)$/.exec(url.pathname);
      if (!m) return false;
      const refuse = (status: number, text: string) => {
        socket.end(
          `HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
        );
      };
      if (!originAllowed(req.headers.origin, req.headers.host, [...security.allowedOrigins])) {
        refuse(403, 'Forbidden: cross-origin WebSocket');
        return true;
      }
      if (fromLearnerSandbox(req)) {
        refuse(403, 'Forbidden: the lab API cannot be used from a lab terminal');
        return true;
      }
      const [, id, name] = m as unknown as [string, string, string];
      if (!sessions.checkToken(id, url.searchParams.get('token') ?? '')) {
        refuse(401, 'Unauthorized: missing or wrong session token');
        return true;
      }
      const release = sockets.acquire(id);
      if (!release) {
        refuse(429, 'Too Many Requests: too many terminal connections');
        return true;
      }
      let terminal;
      try {
        let decoded = '';
        try {
          decoded = decodeURIComponent(name);
        } catch {
          /* malformed escape: rejected as a bad name below */
        }
        terminal = sessions.terminal(id, decoded);
      } catch (error) {
        release();
        refuse(error instanceof ApiError ? error.status : 500, error instanceof Error ? error.message : 'error');
        return true;
      }
      socket.on('close', release);
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('close', release);
        ws.on('error', () => ws.terminate());
        terminal.attach(ws, Number(url.searchParams.get('since') ?? 0), url.searchParams.get('shell') ?? undefined);
      });
      return true;
    },
  };
}
