import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, createReadStream, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Service } from '../service.js';
import type { ReadStore } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import type { ConsoleConfig, HotlistsConfig } from '../hotlist/config.js';
import type { HotlistService } from '../hotlist/service.js';
import type { HotlistStore } from '../hotlist/store.js';
import { LOCAL_LIST } from '../hotlist/manual.js';
import { canFallBehind } from '../hotlist/currency.js';
import { ENTRY_FIELDS } from '../hotlist/conflicts.js';
import { PURPOSES } from '../policy/purposes.js';
import type { ReadQueries } from '../policy/query.js';
import { LIST_TYPE_LABELS, priorityName, type AuditSink } from '../hotlist/types.js';
import { HitError, type Hit, type HitLog } from './hits.js';
import type { ConsoleUser, ConsoleUsers } from './sessions.js';
import { ShownPictures, type Picture } from './shown.js';
import { unwatchBody, unwatchPlate, WATCH_HOURS, watchBody, watchedPlates, watchPlate } from './watch.js';

/**
 * The status bar's view of the rest of the unit (cameras, GPS, sync); the daemon supplies it.
 * `ok: null` is a part this unit does not use (no GPS receiver or broker configured): shown as
 * such, neither a fault nor "unknown".
 */
export interface UnitStatus {
  cameras?: { id: string; ok: boolean; detail?: string }[];
  gps?: { ok: boolean | null; detail?: string };
  sync?: { ok: boolean | null; detail?: string };
}

// dist/alerts/server.js and src/alerts/server.ts both reach the page at <root>/src/alerts/static.
const STATIC_DIR = fileURLToPath(new URL('../../src/alerts/static/', import.meta.url));
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/console.css': 'console.css',
  '/console.js': 'console.js',
};
/**
 * The one method each path answers to. Any other is refused with 405 and Allow before anything
 * else is checked: a wrong method is not "sign in first" (401) or "no such page" (404).
 */
const ROUTES: Record<string, 'GET' | 'POST'> = {
  '/': 'GET',
  '/console.css': 'GET',
  '/console.js': 'GET',
  '/api/signin': 'POST',
  '/api/signout': 'POST',
  '/api/state': 'GET',
  '/api/events': 'GET',
  '/api/watch': 'POST',
  '/api/watch/remove': 'POST',
};
const HIT_ROUTE = /^\/api\/hits\/([^/]+)\/(seen|confirm|verify|reject|acknowledge|crop|overview)$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};
const COOKIE = 'lpr_console';
/** Only officers work alerts (policy IV.C.2); admins and technicians have no business here. */
const CONSOLE_ROLES = ['officer'];
/** No live session. An admin disabling a user, or changing their password or role, ends theirs. */
const NO_SESSION =
  'sign in first (no live session: signed out, expired, or ended by an admin changing the account)';

const signInBody = z.strictObject({ name: z.string().min(1).max(100), secret: z.string().min(1).max(200) });
const confirmBody = z.strictObject({ what: z.enum(['plate', 'state']) });
const rejectBody = z.strictObject({
  reason: z.string().min(1).max(60),
  text: z.string().max(500).optional(),
});
/** seen, verify, acknowledge and signout take no body: an empty one or `{}`, nothing else. */
const noBody = z.strictObject({});
const hitId = z.uuid();
/** Hits still being worked: only theirs are the alert on screen. */
const OPEN_STATUSES: readonly string[] = ['raised', 'seen'];
/** Other sightings of the car listed with an alert. */
const SIGHTINGS_SHOWN = 10;
/** Missed hits listed on the console; the rest are counted ("and N more"). */
const MISSED_SHOWN = 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The officer console: a small web app for the in-car computer's browser. Static page, a JSON API
 * for the hit lifecycle, and server-sent events that push the whole console state on every change.
 */
export class ConsoleServer implements Service {
  readonly name = 'console';
  private server: Server | null = null;
  private readonly clients = new Set<{ res: ServerResponse; token: string }>();
  private readonly shown = new ShownPictures();
  /**
   * The live view: the latest reads made since this process started, newest first. Nothing is
   * loaded from the store: showing reads made before (another shift's, last week's) would be a
   * lookup of stored read data without purpose or query-log record (policy III.B).
   */
  private readonly feed: StoredRead[] = [];
  private unsubscribes: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private pushScheduled = false;
  private listenError: string | null = null;

  constructor(
    private readonly deps: {
      config: ConsoleConfig;
      hotlists: HotlistsConfig;
      hits: HitLog;
      reads: ReadStore;
      service: HotlistService;
      /** The officer's watch list is kept here as manual entries. */
      store: HotlistStore;
      users: ConsoleUsers;
      audit: AuditSink;
      log: Logger;
      unitStatus?: () => UnitStatus;
      /** Logged, purposeful searches of stored reads (the watch list's look back). */
      queries?: Pick<ReadQueries, 'search'>;
      now?: () => number;
    },
  ) {}

  /** The URL the console listens on (after start). */
  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('console not started');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}/`;
  }

  async start(): Promise<void> {
    this.unsubscribes.push(
      this.deps.reads.onRead((read) => {
        this.feed.unshift(read);
        this.feed.length = Math.min(this.feed.length, this.deps.config.feedSize);
        this.schedulePush();
      }),
      this.deps.hits.onChange(() => this.push()),
    );
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(this.deps.config.port, this.deps.config.host, () => resolve());
      });
    } catch (err) {
      // Reads and hits are still recorded without the console; health and the log say why.
      this.listenError = `${this.deps.config.host}:${this.deps.config.port}: ${(err as Error).message}`;
      this.deps.log.error({ err: this.listenError }, 'officer console could not listen');
      this.server = null;
      return;
    }
    // Keeps SSE connections alive through proxies and refreshes list ages and hit expiry on screen.
    this.heartbeat = setInterval(() => this.push(), 15_000);
    this.heartbeat.unref();
    this.deps.log.info({ url: this.url }, 'officer console listening');
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes) u();
    this.unsubscribes = [];
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  health(): Record<string, unknown> {
    return { listening: this.server ? this.url : null, error: this.listenError, clients: this.clients.size };
  }

  // ---- state pushed to the page ---------------------------------------------------------------

  private state(user: ConsoleUser): unknown {
    const open = this.deps.hits.open();
    const now = (this.deps.now ?? Date.now)();
    return {
      user: { name: user.name, role: user.role, warnings: user.warnings ?? [] },
      now,
      current: open[0] ? this.hitView(open[0], user) : null,
      queue: open.slice(1).map((h) => ({
        id: h.id,
        priority: priorityName(h.priority),
        listType: LIST_TYPE_LABELS[h.listType],
        plate: h.entry.plate,
        state: h.entry.state,
        // Each waiting hit counts down too: one may expire before it reaches the screen.
        ...this.deps.hits.deadlineView(h),
      })),
      missed: this.missedView(),
      withdrawn: this.withdrawnView(now),
      feed: this.feed.map((r) => ({
        id: r.id,
        ts: r.ts,
        plate: r.plate,
        state: r.state,
        confidence: r.confidence,
        cameraId: r.cameraId,
      })),
      lists: this.deps.service.currency().map((l) => ({
        id: l.id,
        version: l.version,
        ageHours: l.ageHours,
        stale: l.stale,
        entries: l.entryCount,
      })),
      maxAgeHours: this.deps.hotlists.maxAgeHours,
      // How far back the watch form's look-back searches (the label says it).
      lookBackMinutes: this.deps.hotlists.recheckWindowMinutes,
      unit: this.deps.unitStatus?.() ?? {},
      rejectionReasons: this.deps.hotlists.rejectionReasons,
      watching: watchedPlates(this.deps.store, now),
      watchHours: WATCH_HOURS,
      purposes: PURPOSES.map((p) => ({ code: p.code, text: `${p.text} (${p.clause})` })),
    };
  }

  /**
   * Hits that expired before an officer verified them, until one acknowledges each: what was
   * missed, never how to act on it (no pictures, no buttons but Acknowledge).
   */
  private missedView(): unknown {
    const { total, neverShown, expiredEver, hits } = this.deps.hits.missed(MISSED_SHOWN);
    return {
      total,
      expiredEver,
      // Over all of them, not only the MISSED_SHOWN listed: the banner counts what nobody saw.
      neverShown,
      hits: hits.map((h) => ({
        id: h.id,
        priority: priorityName(h.priority),
        listTypeLabel: LIST_TYPE_LABELS[h.listType],
        listId: h.listId,
        plate: h.entry.plate,
        state: h.entry.state,
        readPlate: h.readPlate,
        reason: h.entry.reason,
        reference: h.entry.reference,
        raisedAt: h.raisedAt,
        expiredAt: h.decidedAt,
        neverShown: h.seenAt === null,
      })),
    };
  }

  /**
   * Alerts the unit withdrew in the last hitExpiryMinutes because their entry left its list (or
   * expired): an alert that vanished from the screen says why, and that no stop is made on it.
   */
  private withdrawnView(now: number): unknown {
    return this.deps.hits.withdrawnSince(now - this.deps.hotlists.hitExpiryMinutes * 60_000).map((h) => ({
      id: h.id,
      status: h.status,
      priority: priorityName(h.priority),
      listTypeLabel: LIST_TYPE_LABELS[h.listType],
      listId: h.listId,
      plate: h.entry.plate,
      state: h.entry.state,
      readPlate: h.readPlate,
      raisedAt: h.raisedAt,
      withdrawnAt: h.decidedAt,
      withdrawnReason: h.withdrawnReason,
    }));
  }

  private hitView(h: Hit, user: ConsoleUser): unknown {
    const read = this.deps.reads.get(h.readId);
    return {
      id: h.id,
      status: h.status,
      priority: priorityName(h.priority),
      listType: h.listType,
      listTypeLabel: LIST_TYPE_LABELS[h.listType],
      list: { id: h.listId, version: h.listVersion, generatedAt: h.listGeneratedAt, ...this.listStanding(h) },
      entry: h.entry,
      rule: h.rule,
      via: h.via,
      matchedText: h.matchedText,
      differences: h.differences,
      // A hit on an alternative reading still shows the officer what the unit read, marked where
      // it differs from the entry: showing the matched alternative would look like an exact read.
      readDifferences:
        read && h.via === 'candidate'
          ? this.deps.service.matcher.differences(read.plate, h.entry.plate)
          : h.differences,
      stateNotRead: h.stateNotRead,
      retroactive: h.retroactive,
      raisedAt: h.raisedAt,
      // The same car's other reads recorded as repeats of this hit: its passes since, or, when a
      // list update matched several recent reads (the newest alerts), its earlier sightings; and
      // those of an alert it replaced (superseded), with that alert's own read. Times and places
      // only: their pictures are not the alert's.
      sightings: this.deps.hits.sightingsOf(h, SIGHTINGS_SHOWN).flatMap((r) => {
        const seen = this.deps.reads.get(r.readId);
        return seen
          ? [
              {
                ts: seen.ts,
                cameraId: seen.cameraId,
                gps: seen.gps ? { lat: seen.gps.lat, lon: seen.gps.lon } : null,
              },
            ]
          : [];
      }),
      // The console counts down the last minutes, and says when acting on it gives no more time.
      ...this.deps.hits.deadlineView(h),
      // Confirmed by this officer: the one who verifies confirms both (a partner's do not count,
      // and a partner confirming too takes nothing from this officer's).
      plateConfirmed: h.confirmations.some((c) => c.officer === user.name && c.what === 'plate'),
      stateConfirmed: h.confirmations.some((c) => c.officer === user.name && c.what === 'state'),
      read: read
        ? {
            plate: read.plate,
            state: read.state,
            stateConfidence: read.stateConfidence,
            confidence: read.confidence,
            charConfidences: read.charConfidences,
            ts: read.ts,
            cameraId: read.cameraId,
            box: read.box,
            gps: read.gps ? { lat: read.gps.lat, lon: read.gps.lon } : null,
            hasCrop: read.cropPath !== null,
            hasOverview: read.overviewPath !== null,
          }
        : null,
    };
  }

  /**
   * How the hit's list stands now, for its list line. A list from elsewhere (HQ, an import) is
   * judged by its version: a newer one supersedes the version the hit was raised on, whose age is
   * its own. The unit's own manual entries (the watch list, `hotlist add`) are one list whose
   * version changes with every entry anyone adds, renews or removes: a hit on one is judged by its
   * own entry, which has changed only when it was renewed since (a removed or expired entry
   * withdraws the hit).
   */
  private listStanding(h: Hit): { local: boolean; entryChanged: boolean } {
    const list = this.deps.store.list(h.listId);
    if (!list || canFallBehind(list)) return { local: false, entryChanged: false };
    const now = this.deps.store
      .findInList(h.listId, h.entry.plate)
      .find((e) => e.state === h.entry.state && e.listType === h.entry.listType);
    return { local: true, entryChanged: !!now && ENTRY_FIELDS.some((f) => now[f] !== (h.entry[f] ?? null)) };
  }

  private schedulePush(): void {
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    setImmediate(() => {
      this.pushScheduled = false;
      this.push();
    });
  }

  private push(): void {
    for (const c of this.clients) {
      // A session that ended (sign-out elsewhere, expiry, account disabled, role changed) or whose
      // user is no longer an officer stops receiving alerts before this state is sent.
      const user = this.sessionUser(c.token);
      if (user instanceof HttpError) {
        c.res.end();
        this.clients.delete(c);
        continue;
      }
      c.res.write(`event: state\ndata: ${JSON.stringify(this.state(user))}\n\n`);
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.local');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    this.checkOrigin(req);
    const method = req.method ?? 'GET';
    const hitRoute = HIT_ROUTE.exec(url.pathname);
    const allow = hitRoute
      ? hitRoute[2] === 'crop' || hitRoute[2] === 'overview'
        ? 'GET'
        : 'POST'
      : ROUTES[url.pathname];
    if (!allow) throw new HttpError(404, `no such page: ${url.pathname}`);
    if (method !== allow) {
      res.setHeader('Allow', allow);
      throw new HttpError(405, `${method} is not allowed on ${url.pathname}: use ${allow}`);
    }
    const file = STATIC[url.pathname];
    if (file) return this.sendStatic(res, file);
    if (url.pathname === '/api/signin') return this.signIn(req, res);
    const { user, token } = this.requireUser(req);
    if (url.pathname === '/api/signout') {
      parse(noBody, await readJson(req));
      this.deps.users.endSession(token);
      this.deps.audit.append({ type: 'console.signout', actor: user.name, details: {} });
      res.setHeader('Set-Cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return this.json(res, 200, { ok: true });
    }
    if (url.pathname === '/api/state') return this.json(res, 200, this.state(user));
    if (url.pathname === '/api/events') return this.events(req, res, user, token);
    if (url.pathname === '/api/watch') return this.watch(req, res, user);
    if (url.pathname === '/api/watch/remove') return this.unwatch(req, res, user);
    if (!hitRoute) throw new HttpError(404, `no such page: ${url.pathname}`);
    const id = hitId.safeParse(hitRoute[1]);
    if (!id.success) throw new HttpError(400, `hit id "${hitRoute[1]}" is not a UUID`);
    const action = hitRoute[2]!;
    if (action === 'crop' || action === 'overview') return this.image(res, id.data, action, token);
    const body = await readJson(req);
    let hit: Hit;
    if (action === 'seen') {
      parse(noBody, body);
      hit = this.deps.hits.markSeen(id.data, user.name);
    } else if (action === 'confirm') {
      const what = parse(confirmBody, body).what;
      this.requirePicturesShown(token, id.data);
      hit = this.deps.hits.confirm(id.data, what, user.name);
    } else if (action === 'verify') {
      parse(noBody, body);
      hit = this.deps.hits.verify(id.data, user.name);
    } else if (action === 'reject') {
      const b = parse(rejectBody, body);
      hit = this.deps.hits.reject(id.data, b.reason, b.text ?? null, user.name);
    } else {
      parse(noBody, body);
      hit = this.deps.hits.acknowledgeExpired(id.data, user.name);
    }
    return this.json(res, 200, { id: hit.id, status: hit.status });
  }

  /**
   * Adds a plate to the officer's watch list. With `lookBack` (purpose, case number, attestation)
   * the reads of the recheck window are searched for it first, as a logged inquiry, and those that
   * match raise retroactive hits; a refused search adds nothing.
   */
  private async watch(req: IncomingMessage, res: ServerResponse, user: ConsoleUser): Promise<void> {
    const body = parse(watchBody, await readJson(req));
    const now = (this.deps.now ?? Date.now)();
    let earlier: StoredRead[] = [];
    if (body.lookBack) {
      if (!this.deps.queries) throw new HttpError(503, 'this unit cannot search its stored reads');
      const from = now - this.deps.hotlists.recheckWindowMinutes * 60_000;
      const identity = {
        kind: 'user' as const,
        ...user,
        warnings: user.warnings ?? [],
        trainingOverdue: user.trainingOverdue ?? false,
      };
      try {
        ({ reads: earlier } = this.deps.queries.search(identity, { plate: body.plate, from }, body.lookBack));
      } catch (err) {
        if ((err as Error).name !== 'PolicyError') throw err;
        throw new HttpError(403, (err as Error).message);
      }
    }
    // Added, or renewed when already watched (WatchOutcome): the answer says which.
    const outcome = watchPlate(this.deps.store, this.deps.audit, user.name, body, now);
    const raised = this.deps.service.lookBack(earlier, LOCAL_LIST);
    this.push();
    this.json(res, 200, {
      ...outcome,
      ...(body.lookBack ? { lookBack: { reads: earlier.length, raised } } : {}),
    });
  }

  private async unwatch(req: IncomingMessage, res: ServerResponse, user: ConsoleUser): Promise<void> {
    const body = parse(unwatchBody, await readJson(req));
    const removed = unwatchPlate(this.deps.store, this.deps.audit, user.name, body);
    if (removed === 0)
      throw new HttpError(404, `${body.plate} ${body.state ?? 'any state'} is not on the watch list`);
    this.push();
    this.json(res, 200, { removed });
  }

  /**
   * Browsers send Origin on cross-site POSTs; a page elsewhere must not drive the console. The Host
   * check stops DNS-rebinding pages from reading the API through a name that resolves to loopback.
   */
  private checkOrigin(req: IncomingMessage): void {
    const host = req.headers.host ?? '';
    const a = this.server?.address() as AddressInfo | null;
    const port = a?.port;
    const okHosts = new Set([
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `${this.deps.config.host}:${port}`,
    ]);
    if (!okHosts.has(host)) throw new HttpError(421, `host "${host}" is not this console`);
    const origin = req.headers.origin;
    if (origin && origin !== `http://${host}`)
      throw new HttpError(403, `requests from ${origin} are not accepted`);
  }

  private requireUser(req: IncomingMessage): { user: ConsoleUser; token: string } {
    const token = cookie(req, COOKIE);
    // A well-formed token only: anything else cannot be a session and is not looked up.
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new HttpError(401, NO_SESSION);
    const user = this.sessionUser(token);
    if (user instanceof HttpError) throw user;
    return { user, token };
  }

  /**
   * The user behind a session as the directory has them now, checked as sign-in checks them, for
   * every request and every push: a role is granted at sign-in, but an admin or a roster from
   * headquarters may change it mid-shift (the directory itself refuses a disabled or untrained
   * account). A session whose user may no longer work the console is ended here, and audited.
   */
  private sessionUser(token: string): ConsoleUser | HttpError {
    const user = this.deps.users.session(token);
    if (!user) return new HttpError(401, NO_SESSION);
    const refusal = consoleRefusal(user);
    if (!refusal) return user;
    this.deps.users.endSession(token);
    this.deps.audit.append({
      type: 'console.refused',
      actor: user.name,
      details: { reason: 'role', role: user.role, session: 'ended' },
    });
    return new HttpError(403, `signed out: ${refusal}`);
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parse(signInBody, await readJson(req));
    let user: ConsoleUser;
    try {
      // The directory audits every attempt, good or bad.
      user = this.deps.users.signIn(body.name, body.secret);
    } catch (err) {
      if ((err as Error).name !== 'PolicyError') throw err;
      throw new HttpError(401, (err as Error).message);
    }
    const refusal = consoleRefusal(user);
    if (refusal) {
      this.deps.audit.append({
        type: 'console.refused',
        actor: user.name,
        details: { reason: 'role', role: user.role },
      });
      throw new HttpError(403, refusal);
    }
    const token = this.deps.users.createSession(user);
    this.deps.audit.append({ type: 'console.signin', actor: user.name, details: {} });
    res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    this.json(res, 200, { user: { name: user.name, role: user.role } });
  }

  private events(req: IncomingMessage, res: ServerResponse, user: ConsoleUser, token: string): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const client = { res, token };
    this.clients.add(client);
    res.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(this.state(user))}\n\n`);
    req.on('close', () => this.clients.delete(client));
  }

  /** Policy IV.C.2: confirmations only from a console that was sent the hit's pictures. */
  private requirePicturesShown(token: string, id: string): void {
    const hit = this.deps.hits.get(id);
    if (!hit) throw new HttpError(404, `no hit with id ${id}`);
    const read = this.deps.reads.get(hit.readId);
    const refusal = this.shown.refusal(token, id, { crop: !!read?.cropPath, overview: !!read?.overviewPath });
    if (refusal) throw new HttpError(409, refusal);
  }

  private image(res: ServerResponse, id: string, kind: Picture, token: string): void {
    const hit = this.deps.hits.get(id);
    if (!hit) throw new HttpError(404, `no hit with id ${id}`);
    // Policy III.B: an open hit's pictures are the alert being worked. Those of a past one (missed,
    // decided, suppressed) are stored read data like any other, looked at only with a purpose and
    // a query-log record; served here they would be an unlogged lookup.
    if (!OPEN_STATUSES.includes(hit.status)) {
      throw new HttpError(
        409,
        `hit ${id} is ${hit.status}: its pictures are shown only while it is open. Looking at a past hit's pictures is a search of stored reads: make it through the logged query path (lpr-edge query, with a purpose and a case number)`,
      );
    }
    const read = this.deps.reads.get(hit.readId);
    const rel = kind === 'crop' ? read?.cropPath : read?.overviewPath;
    if (!rel) throw new HttpError(404, `hit ${id} has no ${kind} image`);
    let abs: string;
    try {
      abs = this.deps.reads.imagePath(rel);
    } catch (err) {
      throw new HttpError(403, (err as Error).message);
    }
    if (!existsSync(abs)) throw new HttpError(404, `${kind} image is missing`);
    this.shown.record(token, id, kind);
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    createReadStream(abs).pipe(res);
  }

  private sendStatic(res: ServerResponse, file: string): void {
    const body = readFileSync(path.join(STATIC_DIR, file));
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    );
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private fail(res: ServerResponse, err: unknown): void {
    let status = 500;
    let message = 'internal error';
    if (err instanceof HttpError) ({ status, message } = err);
    else if (err instanceof HitError) ({ status, message } = err);
    else this.deps.log.error({ err }, 'console request failed');
    if (res.headersSent) return void res.end();
    this.json(res, status, { error: message });
  }
}

/** Why this user may not work the console, or null: checked at sign-in and on every use of a session. */
function consoleRefusal(user: ConsoleUser): string | null {
  return CONSOLE_ROLES.includes(user.role)
    ? null
    : `the console is for officers; ${user.name} is ${user.role}`;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 16 * 1024) throw new HttpError(413, 'request body larger than 16 KiB');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  // Requiring JSON keeps plain HTML forms on other sites from posting here.
  if (!type.startsWith('application/json')) throw new HttpError(415, 'send Content-Type: application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new HttpError(
      400,
      r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return r.data;
}
