/* global document, window, localStorage, fetch, EventSource, AudioContext, performance */
// The officer console: renders the state the daemon pushes over server-sent events and sends the
// officer's acts (confirm plate, confirm state, verify, reject) as JSON requests.
'use strict';

const $ = (id) => document.getElementById(id);
let state = null;
let events = null;
/** The hit whose pictures this page asked for (null: ask again at the next render). */
let shownHitId = null;
/** The hit on screen: keys and clicks act on this one, as rendered when they are made. */
let onScreenHitId = null;
/** The alert's pictures not yet on screen: P and S wait for them. */
let picturesLoading = new Set();
const alerted = new Set();
/** Hits announced to screen readers as new (each once; one back on screen is announced as such). */
const announced = new Set();
/** A hit on screen not yet marked seen: it is marked once the page is in front of the officer. */
let unseenHitId = null;
/**
 * After an alert comes on screen P, S, V and R (every key and button that decides on the alert)
 * are ignored for a moment, keys and clicks alike: a key pressed for the alert being worked must
 * not land on a more urgent one that replaced it just before (policy IV.C.2); a reject meant for a
 * misread must not throw away the AMBER alert that took its place. Long enough to notice the
 * change, short enough not to slow a stop.
 */
const NEW_ALERT_HOLD_MS = 1500;
/** P and S wait this long after the pictures arrive: the unit refuses a confirmation within 1 s of sending them (shown.ts). */
const PICTURE_SETTLE_MS = 1100;
/**
 * Every wait and age on this page is timed by a clock that never steps. The computer's wall clock
 * is set by NTP or the GPS after boot, often minutes or hours off: timed by it, a step forward
 * said NOT LIVE and took the buttons away until the next update, and counted every alert down
 * to "expiring now"; a step back held P, S, V and R for the size of the step.
 */
const steadyNow = () => performance.now();
/** The hold starts once the page is visible (an alert that came while it was in the background has not been seen). */
let holdPending = false;
let holdUntil = 0;
let picturesSettleUntil = 0;
let holdTimer = null;
/** How many hits had expired in all when this page last looked: more now means a tone. */
let expiredSeen = null;
/** The unit's wall clock at its last update, and this page's steady clock then: the countdown agrees with when the unit expires a hit. */
let unitClock = { wall: 0, at: 0 };
const pendingTones = new Set();
let toneTimer = null;
let audio = null;
let muteLow = localStorage.getItem('lpr-mute-low') === '1';
/** What the missed list on screen was built from: it is built again only when that changes. */
let missedShown = null;
/** Likewise for the withdrawn list. */
let withdrawnShown = null;
/**
 * The alert this officer verified last and when: the details of the vehicle stay on screen for the
 * stop (reason, reference, vehicle) under "No active alerts", until Done.
 */
let verified = null;
/**
 * A reject form a more urgent alert closed: the alert it was for, its reason and text. R on that
 * alert, back on screen, opens it as it was.
 */
let rejectPutAside = null;
/** The watch form was closed by an alert coming on screen: W brings it back as it was. */
let watchPutAside = false;
/** Likewise for the watch list: its Found and Stop watching keep their element and focus. */
let watchingShown = null;

// ---- theme and tones ------------------------------------------------------------------------

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem('lpr-theme', theme);
  $('theme').textContent = theme === 'day' ? 'Night' : 'Day';
}
applyTheme(localStorage.getItem('lpr-theme') || 'day');

function applyMute() {
  $('mute').textContent = muteLow ? 'Low tones: muted' : 'Low tones: on';
  $('mute').setAttribute('aria-pressed', String(muteLow));
  localStorage.setItem('lpr-mute-low', muteLow ? '1' : '0');
}
applyMute();

// Distinct patterns: high = fast two-tone siren, medium = two beeps, low = one soft beep;
// expired (a hit was missed) = a short falling pair, soft: it calls for no stop.
const TONES = {
  high: [
    [988, 0.16],
    [659, 0.16],
    [988, 0.16],
    [659, 0.16],
    [988, 0.16],
    [659, 0.16],
  ],
  medium: [
    [880, 0.2],
    [0, 0.12],
    [880, 0.2],
  ],
  low: [[523, 0.25]],
  expired: [
    [659, 0.14],
    [440, 0.22],
  ],
};
/** When sounds gather (below), the most urgent plays: a new hit before a missed one. */
const TONE_ORDER = ['high', 'medium', 'low', 'expired'];

function tone(priority) {
  // The mute covers what needs no action on the road: low hits, and the notice of a missed hit.
  if ((priority === 'low' || priority === 'expired') && muteLow) return;
  // What sounded, and how often: tests (and a curious technician) read these off the page.
  document.body.dataset.lastTone = priority;
  document.body.dataset.toneCount = String(Number(document.body.dataset.toneCount || 0) + 1);
  try {
    audio = audio || new AudioContext();
    let t = audio.currentTime + 0.02;
    for (const [freq, dur] of TONES[priority] || TONES.low) {
      if (freq > 0) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = priority === 'high' ? 'square' : priority === 'expired' ? 'triangle' : 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.25, t);
        gain.gain.exponentialRampToValueAtTime(0.001, t + dur);
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + dur);
      }
      t += dur;
    }
  } catch {
    // No audio device: the visual alert still shows.
  }
}

// Things that happen together (a list import, a busy street, hits expiring at one tick) arrive
// as separate updates: one tone, the most urgent, for all that arrive within 300 ms.
function queueTone(kind) {
  pendingTones.add(kind);
  if (toneTimer) return;
  toneTimer = window.setTimeout(() => {
    tone(TONE_ORDER.find((p) => pendingTones.has(p)));
    pendingTones.clear();
    toneTimer = null;
  }, 300);
}

// ---- API ------------------------------------------------------------------------------------

/** Said wherever an answer was expected (sign-in, an act on an alert, a form) and none came. */
const NO_ANSWER =
  'The unit did not answer (its LPR service may be stopped or restarting): try again in a moment.';

async function api(method, url, body) {
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
    });
  } catch {
    // No answer at all: the browser's own words ("Failed to fetch") tell the officer nothing.
    throw new Error(NO_ANSWER);
  }
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && url !== '/api/signin') showSignIn(data.error);
  if (!res.ok) throw new Error(data.error || `request failed (${res.status})`);
  return data;
}

/**
 * The sign-in form. `why`: the unit's reason when a session this page was working in ended under
 * it (expired, signed out in another tab, ended by an admin): the officer is told why the alert
 * left the screen, not handed an empty form. A sign-out here, or a first visit, says nothing.
 */
function showSignIn(why) {
  if (!$('app').hidden) $('signin-error').textContent = why ? `Signed out: ${why}` : '';
  if (events) events.close();
  events = null;
  clearScreen();
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-name').focus();
}

function startEvents() {
  $('signin').hidden = true;
  $('app').hidden = false;
  showPicturesAgain();
  events = new EventSource('/api/events');
  events.addEventListener('state', (e) => {
    lastUpdate = steadyNow();
    setLive(true);
    render(JSON.parse(e.data));
  });
  events.onopen = showPicturesAgain;
  events.onerror = () => {
    // The browser reconnects by itself; a signed-out session shows the sign-in form.
    setLive(false);
    api('GET', '/api/state').catch(() => undefined);
  };
}

/** The next render fetches the alert's pictures again (after a reconnect, or when refused). */
function showPicturesAgain() {
  shownHitId = null;
  rerenderHit();
}

function rerenderHit() {
  if (state && state.current) renderHit(state.current, state.queue.length);
}

/**
 * Nothing of the last session stays for whoever signs in next: no name, alert, confirmations or
 * lists until the new session's first update arrives (which a slow link may take seconds to bring).
 */
function clearScreen() {
  state = null;
  shownHitId = null;
  onScreenHitId = null;
  unseenHitId = null;
  holdPending = false;
  holdUntil = 0;
  picturesSettleUntil = 0;
  picturesLoading = new Set();
  alerted.clear(); // the next officer hears the alerts that are open
  announced.clear();
  expiredSeen = null; // what expired meanwhile is in the banner the next officer signs in to
  missedShown = null;
  closeReject();
  closeWatch();
  showError(null);
  $('alert').className = 'alert-panel';
  $('hit').hidden = true;
  $('no-alert').hidden = true;
  $('loading').hidden = false;
  delete $('hit').dataset.hitId;
  $('hit-crop').removeAttribute('src');
  $('hit-overview').removeAttribute('src');
  withdrawnShown = null;
  watchingShown = null;
  verified = null;
  rejectPutAside = null;
  $('verified').hidden = true;
  for (const id of [
    'user',
    'alert-announce',
    'feed',
    'watching',
    'status',
    'waiting-list',
    'missed-list',
    'withdrawn-list',
  ])
    $(id).textContent = '';
  for (const id of ['user-warnings', 'missed-banner', 'missed', 'waiting', 'withdrawn-banner', 'withdrawn'])
    $(id).hidden = true;
  // No confirmation of the last officer's left pressed, nor Verify left enabled, even out of sight.
  for (const id of ['confirm-plate', 'confirm-state']) $(id).setAttribute('aria-pressed', 'false');
  for (const id of ['confirm-plate', 'confirm-state', 'verify']) $(id).disabled = true;
}

// The server sends the state at least every 15 s: longer without, or a broken stream, and what
// is on screen may no longer be true. Say so, and take the alert's buttons away.
let lastUpdate = 0;
let liveSince = null;
function setLive(live) {
  if (live === !$('app').classList.contains('not-live')) return;
  $('app').classList.toggle('not-live', !live);
  $('not-live').hidden = live;
  if (!live) {
    liveSince = new Date();
    $('not-live').textContent =
      `NOT LIVE since ${liveSince.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })}: this console has lost the unit; alerts and status may be out of date.`;
  }
  rerenderHit();
  if (state) renderMissed(state.missed);
  // The banner above may have come or gone, moving the alert's end: measured once all is laid out.
  updateMoreBelow();
}
window.setInterval(() => {
  if (events && lastUpdate && steadyNow() - lastUpdate > 35_000) setLive(false);
}, 5000);

// ---- rendering ------------------------------------------------------------------------------

function fmtTime(ms) {
  return new Date(ms).toLocaleString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    month: 'short',
    day: 'numeric',
  });
}

function fmtAge(hours) {
  if (hours < 1) return `${Math.max(0, Math.round(hours * 60))} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * Changes a property only when its value differs. The alert is rendered on every update (each read
 * made sends one): an unchanged field is left alone, so nothing flickers and assistive technology
 * has nothing to report again.
 */
function setProp(el, prop, value) {
  if (el[prop] !== value) el[prop] = value;
}
function setText(el, text) {
  setProp(el, 'textContent', text);
}

/** What each plate element was last drawn from: drawn again only when that changes. */
const platesDrawn = new WeakMap();

function plateHtml(el, text, charConfidences, differences) {
  const key = JSON.stringify([text, charConfidences, differences]);
  if (platesDrawn.get(el) === key) return;
  platesDrawn.set(el, key);
  el.textContent = '';
  const marks = new Map();
  for (const d of differences || []) {
    if (d.kind === 'equivalent') marks.set(d.position, 'equiv');
    else if (d.kind === 'substitution' || d.kind === 'extra') marks.set(d.position, 'diff');
  }
  [...text].forEach((ch, i) => {
    const span = document.createElement('span');
    span.textContent = ch;
    const cls = [];
    if (charConfidences && charConfidences[i] !== undefined && charConfidences[i] < 0.75) {
      cls.push('low');
      span.title = `low confidence (${Math.round(charConfidences[i] * 100)}%)`;
    }
    if (marks.has(i + 1)) cls.push(marks.get(i + 1));
    span.className = cls.join(' ');
    el.appendChild(span);
  });
}

function ruleText(hit) {
  const via =
    hit.via === 'candidate'
      ? ` on the alternative reading ${hit.matchedText}, not on what the unit read${hit.read ? ` (${hit.read.plate})` : ''}`
      : '';
  if (hit.rule === 'exact') return `Exact match${via}.`;
  const diffs = hit.differences
    .map((d) => {
      if (d.kind === 'equivalent') return `${d.read} read for ${d.entry} at ${d.position} (look-alike)`;
      if (d.kind === 'substitution') return `${d.read} read for ${d.entry} at ${d.position}`;
      if (d.kind === 'extra') return `extra ${d.read} at ${d.position}`;
      return `missing ${d.entry} at ${d.position}`;
    })
    .join('; ');
  const what =
    hit.rule === 'equivalent'
      ? 'Look-alike characters'
      : hit.differences.length === 1
        ? 'One character differs'
        : `${hit.differences.length} characters differ`;
  return `${what}${via}: ${diffs}.`;
}

function render(s) {
  state = s;
  setText($('user'), `${s.user.name} (${s.user.role})`);
  // Overdue in-service training (policy VII): shown for as long as the officer is signed in.
  const warnings = s.user.warnings || [];
  $('user-warnings').hidden = warnings.length === 0;
  $('user-warnings').textContent = warnings.map((w) => `${w[0].toUpperCase()}${w.slice(1)}.`).join(' ');
  const all = [s.current, ...s.queue].filter(Boolean);
  // A tone for every hit not alerted before; the most urgent pattern wins.
  const fresh = all.filter((h) => !alerted.has(h.id));
  fresh.forEach((h) => alerted.add(h.id));
  for (const h of fresh) queueTone(h.priority);
  // A tone when a hit expires while this page is open. What was already missed when the page
  // loaded (a reload, a sign-in) is on screen in the banner as the officer arrives: no tone.
  // Counted, not timed: the unit's clock may be stepped while the page is open.
  if (expiredSeen !== null && s.missed.expiredEver > expiredSeen) queueTone('expired');
  expiredSeen = s.missed.expiredEver;
  unitClock = { wall: s.now, at: steadyNow() };
  renderHit(s.current, s.queue.length);
  renderWaiting();
  renderMissed(s.missed);
  renderWithdrawn(s.withdrawn);
  renderFeed(s.feed);
  renderWatching(s.watching);
  renderStatus(s);
  // renderHit measured before the banners (missed hits, warnings) came or went above the alert and
  // moved where it ends; nothing else (no scroll, no resize) says so: measure again now.
  updateMoreBelow();
}

function renderHit(hit, queued) {
  setProp($('alert'), 'className', 'alert-panel' + (hit ? ` prio-${hit.priority}` : ''));
  setProp($('loading'), 'hidden', true);
  setProp($('no-alert'), 'hidden', !!hit);
  setProp($('verified'), 'hidden', !verified);
  setProp($('hit'), 'hidden', !hit);
  if (!hit) {
    closeReject();
    shownHitId = null;
    onScreenHitId = null;
    unseenHitId = null;
    return;
  }
  if (hit.id !== onScreenHitId) {
    // Another alert on screen (a new one, or one back after a more urgent one): nothing opened for
    // the last one stays over it (the watch form too: it is marked seen, so nothing may cover it),
    // a screen reader hears which it is, and P, S, V and R wait a moment.
    onScreenHitId = hit.id;
    if (!$('reject-form').hidden) {
      const chosen = document.querySelector('input[name="reason"]:checked');
      rejectPutAside = {
        hitId: $('reject-form').dataset.hitId,
        reason: chosen ? chosen.value : null,
        text: $('reject-text').value,
      };
    }
    closeReject();
    // Put aside, not thrown away: what the officer typed comes back with W once the alert is dealt with.
    if (!$('watch-form').hidden) {
      closeWatch();
      watchPutAside = true;
    }
    showError(null);
    announce(hit);
    holdPending = true;
  }
  if (hit.id !== shownHitId) {
    shownHitId = hit.id;
    picturesLoading = new Set(
      [hit.read && hit.read.hasCrop && 'crop', hit.read && hit.read.hasOverview && 'overview'].filter(
        Boolean,
      ),
    );
    // A fresh URL each time: the server counts what it has sent to this session (confirmations
    // need it), so a reconnect or a new sign-in must fetch the pictures again.
    const fresh = `?t=${Date.now()}`;
    setPicture($('hit-crop'), hit.read && hit.read.hasCrop ? `/api/hits/${hit.id}/crop${fresh}` : null);
    $('hit-overview-mark').hidden = true;
    setPicture(
      $('hit-overview'),
      hit.read && hit.read.hasOverview ? `/api/hits/${hit.id}/overview${fresh}` : null,
    );
    if (!(hit.read && hit.read.hasCrop)) {
      showError('No plate picture was stored with this read: nothing can be confirmed against it.', true);
    }
    // Every time it comes on screen, not only the first: a hit back after a more urgent one was
    // dealt with (or after a reconnect) is in the officer's hands again, and gets time to be worked.
    unseenHitId = hit.id;
  }
  // Seen, and the hold, count from when the page is in front of the officer, not in the background.
  if (document.visibilityState === 'visible') {
    if (holdPending) holdUntil = steadyNow() + NEW_ALERT_HOLD_MS;
    holdPending = false;
    if (unseenHitId === hit.id) {
      unseenHitId = null;
      api('POST', `/api/hits/${hit.id}/seen`).catch(() => undefined);
    }
  }
  setProp($('hit').dataset, 'hitId', hit.id);
  setText($('hit-priority'), hit.priority);
  setProp($('hit-priority'), 'className', `badge ${hit.priority}`);
  setText($('hit-type'), hit.listTypeLabel);
  setProp($('hit-retro'), 'hidden', !hit.retroactive);
  setText($('hit-queue'), queued > 0 ? `${queued} more waiting` : '');
  const read = hit.read || { plate: hit.matchedText, state: null, charConfidences: [] };
  // What the unit read, even when an alternative reading matched (hit-rule names that one).
  plateHtml($('hit-read'), read.plate, read.charConfidences, hit.readDifferences);
  plateHtml($('hit-entry'), hit.entry.plate, null, []);
  // Both plates at one size, small enough for the longer to fit whole (console.css, .compare).
  const chars = String(Math.max(7, read.plate.length, hit.entry.plate.length));
  const compare = document.querySelector('.compare');
  if (compare.style.getPropertyValue('--plate-chars') !== chars)
    compare.style.setProperty('--plate-chars', chars);
  setText($('hit-read-state'), read.state ? `State ${read.state}` : 'State not read');
  setText($('hit-entry-state'), hit.entry.state ? `State ${hit.entry.state}` : 'Any state');
  setProp($('hit-state-warning'), 'hidden', !hit.stateNotRead);
  setText($('hit-rule'), ruleText(hit));
  setText($('hit-vehicle'), hit.entry.vehicle || '—');
  setText($('hit-reason'), hit.entry.reason || '—');
  setText($('hit-ref'), [hit.entry.reference, hit.entry.source].filter(Boolean).join(' · ') || '—');
  const list = listLine(hit);
  setText($('hit-list'), list.text);
  setProp($('hit-list'), 'className', list.stale ? 'stale' : '');
  setText($('hit-time'), read.ts ? `${fmtTime(read.ts)} · camera ${read.cameraId}` : fmtTime(hit.raisedAt));
  setText($('hit-place'), read.gps ? `${read.gps.lat.toFixed(5)}, ${read.gps.lon.toFixed(5)}` : 'No GPS fix');
  const sightings = sightingsLine(hit);
  setText($('hit-sightings'), sightings);
  setProp($('hit-sightings'), 'hidden', !sightings);
  setProp($('hit-sightings-label'), 'hidden', !sightings);
  setAttr($('confirm-plate'), 'aria-pressed', String(hit.plateConfirmed));
  setAttr($('confirm-state'), 'aria-pressed', String(hit.stateConfirmed));
  const now = steadyNow();
  const held = holdPending || now < holdUntil;
  // Confirmed while seeing the pictures (policy IV.C.2; the server refuses otherwise too).
  const unseen = picturesLoading.size > 0 || now < picturesSettleUntil || !(hit.read && hit.read.hasCrop);
  // Nothing is decided on a screen that may be out of date.
  const notLive = $('app').classList.contains('not-live');
  setProp($('hit-hold'), 'hidden', !held);
  setProp($('confirm-plate'), 'disabled', hit.plateConfirmed || unseen || held || notLive);
  setProp($('confirm-state'), 'disabled', hit.stateConfirmed || unseen || held || notLive);
  setProp($('verify'), 'disabled', !(hit.plateConfirmed && hit.stateConfirmed) || held || notLive);
  setProp($('reject'), 'disabled', held || notLive);
  setProp($('hit-error-reject'), 'disabled', held || notLive);
  // The buttons come back by themselves when the hold ends, not at the next update.
  const wait = Math.max(holdUntil, picturesSettleUntil) - now;
  if (wait > 0) {
    window.clearTimeout(holdTimer);
    holdTimer = window.setTimeout(rerenderHit, wait + 20);
  }
  renderExpiry();
  updateMoreBelow();
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Points a picture at its URL, or at nothing (no empty src: that is a load error in itself). */
function setPicture(img, url) {
  if (url) img.src = url;
  else img.removeAttribute('src');
}

/**
 * One short line in the alert's live region when an alert comes on screen. Only this is live:
 * the alert itself is updated in place, and a screen reader would read all of it again each time.
 */
function announce(hit) {
  const plate = `${hit.entry.plate}${hit.entry.state ? ` ${hit.entry.state}` : ', any state'}`;
  const what = `${hit.priority} priority, ${hit.listTypeLabel}, plate ${plate}`;
  setText($('alert-announce'), `${announced.has(hit.id) ? 'Alert back on screen' : 'New alert'}: ${what}`);
  announced.add(hit.id);
}

/**
 * The list line of the alert: the version the hit was raised on and that version's age, not the
 * age of whatever version is current now; "superseded" when the list has changed since. The
 * unit's own manual entries (the watch list) are never stale, and their list changes with every
 * entry anyone adds: a hit on one is outdated only when its own entry was renewed since.
 */
function listLine(hit) {
  const current = state.lists.find((l) => l.id === hit.list.id);
  const sameVersion = current && current.version === hit.list.version;
  // Still the current version: its age and staleness as the unit counts them (a list of manual
  // entries is never stale). An older one: counted from its own generation time.
  const ageHours = sameVersion ? current.ageHours : (state.now - hit.list.generatedAt) / 3600000;
  const stale = hit.list.local ? false : sameVersion ? current.stale : ageHours > state.maxAgeHours;
  let since = '';
  if (!current) since = ' · list no longer loaded';
  else if (hit.list.local)
    since = hit.list.entryChanged ? ` · entry renewed since (v${current.version})` : '';
  else if (!sameVersion) since = ` · superseded by v${current.version}`;
  return { text: `${hit.list.id} v${hit.list.version} · ${fmtAge(ageHours)} old${since}`, stale };
}

/**
 * The same car's other reads recorded as repeats of the alert (its passes since, or for a list
 * update that matched several recent reads, the earlier sightings behind the newest), and those of
 * an alert it replaced, with that alert's own read: when and where.
 */
function sightingsLine(hit) {
  const sightings = hit.sightings || [];
  return sightings
    .map((r) => {
      const place = r.gps ? ` at ${r.gps.lat.toFixed(5)}, ${r.gps.lon.toFixed(5)}` : '';
      return `${fmtTime(r.ts)} · camera ${r.cameraId}${place}`;
    })
    .join('; ');
}

/** Why the alert cannot be acted on as expected, over its buttons; with Reject… when that is the way on. */
function showError(text, offerReject = false) {
  $('hit-error').hidden = !text;
  $('hit-error-text').textContent = text || '';
  $('hit-error-reject').hidden = !offerReject;
}

/** The countdown shows this close to the alert's deadline. */
const EXPIRY_WARNING_SECS = 2 * 60;
/** A waiting hit this close to its deadline is marked urgent: it may expire before it is shown. */
const WAITING_URGENT_SECS = 60;

/** The whole seconds left before a hit expires, by the unit's clock, and how a countdown says them. */
function timeLeft(hit) {
  const unitNow = unitClock.wall + (steadyNow() - unitClock.at);
  const secs = Math.max(0, Math.ceil((hit.expiresAt - unitNow) / 1000));
  const text =
    secs > 0 ? `expires in ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}` : 'expiring now';
  return { secs, text };
}

/**
 * The last minutes before the alert expires, counted down beside its buttons so it does not leave
 * the screen by surprise. Each act on it gives more time (the server's hitGraceMinutes) until the
 * ceiling, after which the countdown says no more can be given.
 */
function renderExpiry() {
  const hit = state && state.current;
  const el = $('hit-expires');
  const left = hit ? timeLeft(hit) : null;
  if (!left || left.secs > EXPIRY_WARNING_SECS) {
    setProp(el, 'hidden', true);
    return;
  }
  const text = `Alert ${left.text}`;
  setText(el, hit.expiresAt >= hit.latestExpiresAt ? `${text} (final: it cannot be extended)` : text);
  setProp(el, 'className', left.secs <= 30 ? 'expires urgent' : 'expires');
  setProp(el, 'hidden', false);
}

/**
 * The hits waiting behind the alert, in the order they will be shown, each counting down: one may
 * expire before it reaches the screen. Its last minute is marked in words (⚠) as well as colour.
 */
function renderWaiting() {
  const queue = state ? state.queue : [];
  $('waiting').hidden = queue.length === 0;
  const ol = $('waiting-list');
  ol.textContent = '';
  for (const h of queue) {
    const { li } = plateRow(h.plate, h.state || 'any state', `${h.priority} · ${h.listType}`);
    li.dataset.hitId = h.id;
    const { secs, text } = timeLeft(h);
    const urgent = secs < WAITING_URGENT_SECS;
    const left = document.createElement('span');
    left.className = urgent ? 'left urgent' : 'left';
    left.textContent = urgent ? `⚠ ${text}` : text;
    li.appendChild(left);
    ol.appendChild(li);
  }
}

window.setInterval(() => {
  renderExpiry();
  renderWaiting();
}, 1000);

/**
 * The buttons stay at the bottom of the screen (sticky) while a long alert scrolls under them:
 * say so while any of it is hidden there, so a long reason is not taken to end where they begin.
 */
function updateMoreBelow() {
  const hidden =
    !$('hit').hidden &&
    $('hit-body').getBoundingClientRect().bottom > $('hit-actions').getBoundingClientRect().top + 1;
  $('more-below').hidden = !hidden;
}
// Scroll events do not bubble: caught on the way down, from whichever element scrolls.
document.addEventListener('scroll', updateMoreBelow, true);
window.addEventListener('resize', updateMoreBelow);

/** Outline the read plate on the overview (drawn over the image, which stays unaltered). */
function markPlateOnOverview() {
  const img = $('hit-overview');
  const mark = $('hit-overview-mark');
  const box = state && state.current && state.current.read ? state.current.read.box : null;
  if (!box || !img.naturalWidth) {
    mark.hidden = true;
    return;
  }
  // The image is scaled to fit its frame (object-fit: contain) and centred in it.
  const scale = Math.min(img.clientWidth / img.naturalWidth, img.clientHeight / img.naturalHeight);
  const left = img.offsetLeft + (img.clientWidth - img.naturalWidth * scale) / 2;
  const top = img.offsetTop + (img.clientHeight - img.naturalHeight * scale) / 2;
  const pad = 3; // the outline sits just outside the plate
  mark.style.left = `${left + box[0] * scale - pad}px`;
  mark.style.top = `${top + box[1] * scale - pad}px`;
  mark.style.width = `${box[2] * scale + 2 * pad}px`;
  mark.style.height = `${box[3] * scale + 2 * pad}px`;
  mark.hidden = false;
}
$('hit-overview').addEventListener('load', markPlateOnOverview);

function pictureShown(kind) {
  picturesLoading.delete(kind);
  picturesSettleUntil = steadyNow() + PICTURE_SETTLE_MS;
  rerenderHit();
}
// Back in front of the officer: an alert that came meanwhile is marked seen now, and held from now.
document.addEventListener('visibilitychange', rerenderHit);
$('hit-crop').addEventListener('load', () => pictureShown('crop'));
$('hit-overview').addEventListener('load', () => pictureShown('overview'));

/**
 * A picture that did not load leaves P and S disabled: say why, in the unit's words (an <img>
 * error carries none, so the same address is asked again for its answer), and offer Reject.
 */
async function pictureFailed(img, name) {
  const src = img.getAttribute('src');
  if (!src) return;
  let why = 'the browser could not display it';
  try {
    const res = await fetch(src, { credentials: 'same-origin' });
    if (!res.ok) why = (await res.json().catch(() => ({}))).error || `the unit answered ${res.status}`;
  } catch {
    why = 'the unit could not be reached';
  }
  if (img.getAttribute('src') !== src) return; // another alert, or fetched again, meanwhile
  showError(`The ${name} could not be shown: ${why}. Nothing can be confirmed without it.`, true);
}
$('hit-crop').addEventListener('error', () => pictureFailed($('hit-crop'), 'plate crop'));
$('hit-overview').addEventListener('error', () => pictureFailed($('hit-overview'), 'overview image'));
window.addEventListener('resize', markPlateOnOverview);

/** A side-panel row: the plate, its state, and a line of details under them. */
function plateRow(plate, stateText, details) {
  const li = document.createElement('li');
  const p = document.createElement('span');
  p.className = 'fp';
  p.textContent = plate;
  const st = document.createElement('span');
  st.textContent = stateText;
  const meta = document.createElement('span');
  meta.className = 'fm';
  meta.textContent = details;
  li.append(p, st, meta);
  return { li, meta };
}

/**
 * Hits that expired before anyone verified them stay here, and in the banner, until an officer
 * acknowledges each. They show what was missed, not how to act on it: no pictures, no stop.
 */
function renderMissed(missed) {
  const { total, neverShown, hits } = missed;
  const notLive = $('app').classList.contains('not-live');
  // Built again only when what it lists changed, not on every update (each new read sends one):
  // an Acknowledge being touched, or focused by Review, stays the same button.
  const key = JSON.stringify(missed);
  if (key === missedShown) {
    for (const b of $('missed-list').querySelectorAll('button')) b.disabled = notLive;
    return;
  }
  missedShown = key;
  $('missed').hidden = total === 0;
  $('missed-banner').hidden = total === 0;
  const ol = $('missed-list');
  ol.textContent = '';
  if (total === 0) return;
  // Counted by the unit over every missed hit, not only the ones listed here.
  const never = neverShown;
  const latest = hits[0];
  $('missed-text').textContent =
    `MISSED: ${total} hit${total > 1 ? 's' : ''} expired before verification` +
    `${never ? ` (${never} never shown)` : ''}, latest ${latest.plate} ${latest.listTypeLabel.toLowerCase()}` +
    ` at ${fmtTime(latest.raisedAt)}. No stop on ${total > 1 ? 'them' : 'it'}.`;
  for (const h of hits) {
    const details = [
      `${h.priority} · ${h.listTypeLabel} · list ${h.listId}`,
      h.reference,
      `read ${h.readPlate} at ${fmtTime(h.raisedAt)}`,
      `expired ${fmtTime(h.expiredAt)}`,
    ]
      .filter(Boolean)
      .join(' · ');
    const { li } = plateRow(h.plate, h.state || 'any state', details);
    li.dataset.hitId = h.id;
    const seen = document.createElement('span');
    seen.className = h.neverShown ? 'fr never' : 'fr';
    seen.textContent = h.neverShown ? 'NEVER SHOWN on a console' : 'Shown, not verified';
    li.appendChild(seen);
    if (h.reason) {
      // A reason may run to 1000 characters: three lines here, the whole of it on hover (as on the
      // watch list), not a column pushing the rest of the side panel out of sight.
      const why = document.createElement('span');
      why.className = 'fm clamped';
      why.textContent = h.reason;
      why.title = h.reason;
      li.appendChild(why);
    }
    const actions = document.createElement('div');
    actions.className = 'watch-actions';
    const b = document.createElement('button');
    b.className = 'btn btn-small';
    b.textContent = 'Acknowledge';
    b.disabled = notLive;
    b.addEventListener('click', () =>
      api('POST', `/api/hits/${h.id}/acknowledge`).catch((err) => {
        seen.textContent = err.message;
      }),
    );
    actions.appendChild(b);
    li.append(actions);
    ol.appendChild(li);
  }
  $('missed-more').hidden = total <= hits.length;
  $('missed-more').textContent = `and ${total - hits.length} more (acknowledge these to see them)`;
}
/**
 * Alerts the unit withdrew because their entry left its hotlist: an alert this page raised that
 * vanished from the screen must say why, and that no stop is made on it (a banner, above the
 * alert); the side panel lists every one withdrawn in the last minutes.
 */
function renderWithdrawn(withdrawn) {
  const key = JSON.stringify(withdrawn);
  if (key === withdrawnShown) return;
  withdrawnShown = key;
  const ol = $('withdrawn-list');
  ol.textContent = '';
  $('withdrawn').hidden = withdrawn.length === 0;
  for (const h of withdrawn) {
    const details = `${h.priority} · ${h.listTypeLabel} · list ${h.listId} · read ${h.readPlate} at ${fmtTime(h.raisedAt)}`;
    const { li } = plateRow(h.plate, h.state || 'any state', details);
    li.dataset.hitId = h.id;
    const why = document.createElement('span');
    why.className = 'fr never';
    why.textContent = `WITHDRAWN ${fmtTime(h.withdrawnAt)}: ${h.withdrawnReason}`;
    li.appendChild(why);
    ol.appendChild(li);
  }
  // The banner is for alerts this page put in front of the officer, the latest first.
  const ours = withdrawn.filter((h) => alerted.has(h.id));
  $('withdrawn-banner').hidden = ours.length === 0;
  if (ours.length)
    $('withdrawn-banner').textContent =
      `ALERT WITHDRAWN: ${ours[0].plate} ${ours[0].listTypeLabel.toLowerCase()}: ${ours[0].withdrawnReason}. No stop on this alert.`;
}

$('missed-review').addEventListener('click', () => {
  $('missed').scrollIntoView({ block: 'start' });
  const first = $('missed-list').querySelector('button');
  if (first) first.focus();
});

function renderFeed(feed) {
  const ol = $('feed');
  ol.textContent = '';
  for (const r of feed) {
    const details = `${fmtTime(r.ts)} · ${Math.round(r.confidence * 100)}% · ${r.cameraId}`;
    ol.appendChild(plateRow(r.plate, r.state || '—', details).li);
  }
}

function renderWatching(list) {
  // Built again only when the watches changed, not on every update (each read sends one, and
  // the unit one every 15 s): a Found or Stop watching reached with Tab, or being clicked, would
  // be replaced under the officer and the key or click lost.
  const key = JSON.stringify(list);
  if (key === watchingShown) return;
  watchingShown = key;
  const ol = $('watching');
  ol.textContent = '';
  $('watching-none').hidden = list.length > 0;
  for (const w of list) {
    const details = `until ${fmtTime(w.expiresAt)} · ${w.reason} · ${w.enteredBy}`;
    const { li, meta } = plateRow(w.plate, w.state || 'any state', details);
    // A reason may run to 1000 characters: three lines here, the whole of it on hover (and on
    // the alert, which shows it in full).
    meta.classList.add('clamped');
    meta.title = details;
    const actions = document.createElement('div');
    actions.className = 'watch-actions';
    for (const reason of ['found', 'no longer needed']) {
      const b = document.createElement('button');
      b.className = 'btn btn-small';
      b.textContent = reason === 'found' ? 'Found' : 'Stop watching';
      b.addEventListener('click', () =>
        api('POST', '/api/watch/remove', { plate: w.plate, state: w.state, reason }).catch((err) => {
          meta.textContent = err.message;
        }),
      );
      actions.appendChild(b);
    }
    li.appendChild(actions);
    ol.appendChild(li);
  }
}

// ok: true, false, or undefined / null (not known, or a part this unit does not use).
function statusItem(label, ok, detail) {
  const span = document.createElement('span');
  span.className = ok == null ? 'unk' : ok ? 'ok' : 'bad';
  span.textContent = `${label}: ${detail}`;
  return span;
}

function renderStatus(s) {
  const bar = $('status');
  bar.textContent = '';
  const cams = s.unit.cameras;
  bar.appendChild(
    cams
      ? statusItem(
          'Cameras',
          cams.every((c) => c.ok),
          cams.map((c) => `${c.id} ${c.ok ? 'ok' : c.detail || 'down'}`).join(', ') || 'none',
        )
      : statusItem('Cameras', undefined, 'unknown'),
  );
  bar.appendChild(
    s.unit.gps
      ? statusItem('GPS', s.unit.gps.ok, s.unit.gps.detail || (s.unit.gps.ok ? 'fix' : 'no fix'))
      : statusItem('GPS', undefined, 'unknown'),
  );
  if (s.lists.length === 0) bar.appendChild(statusItem('Hotlists', false, 'none loaded'));
  for (const l of s.lists) {
    const item = statusItem(
      `List ${l.id}`,
      !l.stale,
      `${fmtAge(l.ageHours)} old${l.stale ? ` (over ${s.maxAgeHours} h)` : ''}`,
    );
    item.dataset.list = l.id;
    bar.appendChild(item);
  }
  bar.appendChild(
    s.unit.sync
      ? statusItem('Sync', s.unit.sync.ok, s.unit.sync.detail || (s.unit.sync.ok ? 'connected' : 'offline'))
      : statusItem('Sync', undefined, 'unknown'),
  );
}

// ---- acts -----------------------------------------------------------------------------------

/** The alert on screen as the officer sees it now (null when none, or while P, S, V and R are held). */
function hitToActOn() {
  return $('hit').hidden || holdPending || steadyNow() < holdUntil ? null : onScreenHitId;
}

function act(path, body) {
  // Bound to the alert on screen at the key press or click, never one that arrives meanwhile.
  const id = hitToActOn();
  if (!id) return;
  // What it said when acted on: a verified alert's details stay on screen (showVerified).
  const hit = state.current && state.current.id === id ? state.current : null;
  api('POST', `/api/hits/${id}/${path}`, body)
    .then(() => {
      if (path === 'verify' && hit) showVerified(hit);
      if (id === onScreenHitId) showError(null);
    })
    .catch((err) => {
      if (id !== onScreenHitId) return;
      showError(err.message);
      if (/not been shown on this console/.test(err.message)) showPicturesAgain();
    });
}

/**
 * Verified: the alert leaves the screen (it is no longer open), but the officer is about to make
 * the stop and needs what it said, in words: which vehicle, why it is listed, the reference to
 * confirm it by. Its pictures are not shown again (a past hit's are stored read data, III.B).
 */
function showVerified(hit) {
  verified = hit;
  const read = hit.read || { plate: hit.matchedText, state: null, ts: hit.raisedAt, cameraId: '?' };
  $('verified-title').textContent =
    `Verified: ${hit.entry.plate} ${hit.entry.state || 'any state'}, ${hit.listTypeLabel}`;
  $('verified-when').textContent = `Verified by you at ${fmtTime(Date.now())}. Done (Esc) clears it.`;
  $('verified-type').textContent = `${hit.listTypeLabel} · ${hit.priority} priority · list ${hit.list.id}`;
  $('verified-vehicle').textContent = hit.entry.vehicle || '—';
  $('verified-reason').textContent = hit.entry.reason || '—';
  $('verified-ref').textContent = [hit.entry.reference, hit.entry.source].filter(Boolean).join(' · ') || '—';
  $('verified-read').textContent =
    `${read.plate} ${read.state || '(state not read)'} at ${fmtTime(read.ts)} · camera ${read.cameraId}`;
  $('verified-place').textContent = read.gps
    ? `${read.gps.lat.toFixed(5)}, ${read.gps.lon.toFixed(5)}`
    : 'No GPS fix';
  renderHit(state && state.current, state ? state.queue.length : 0);
}

function doneVerified() {
  verified = null;
  renderHit(state && state.current, state ? state.queue.length : 0);
}
$('verified-done').addEventListener('click', doneVerified);

function openReject() {
  // Held like P, S and V: the form is opened for the alert on screen, never one that just came.
  const id = hitToActOn();
  if (!id) return;
  $('reject-form').dataset.hitId = id;
  const box = $('reject-reasons');
  box.textContent = '';
  state.rejectionReasons.forEach((reason, i) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'reason';
    input.value = reason;
    const kbd = document.createElement('kbd');
    kbd.textContent = String(i + 1);
    label.append(input, kbd, document.createTextNode(reason));
    box.appendChild(label);
  });
  $('reject-text').value = '';
  $('reject-error').textContent = '';
  const aside = rejectPutAside && rejectPutAside.hitId === id ? rejectPutAside : null;
  if (aside) {
    // Closed by a more urgent alert while being filled in: as the officer left it.
    rejectPutAside = null;
    for (const r of box.querySelectorAll('input')) r.checked = r.value === aside.reason;
    $('reject-text').value = aside.text;
    $('reject-error').textContent =
      'An alert came while you were filling this in: here it is as you left it.';
  }
  $('reject-form').hidden = false;
  const first = box.querySelector('input:checked') || box.querySelector('input');
  if (first) first.focus();
}

/**
 * Hide a form, taking the focus out of it first: the browser moves focus off a hidden field only
 * at its next rendering, and until then a key such as W or P, pressed right after Esc, went to
 * the hidden field and was taken for typing.
 */
function hideForm(id) {
  const form = $(id);
  if (form.contains(document.activeElement)) document.activeElement.blur();
  form.hidden = true;
}

function closeReject() {
  hideForm('reject-form');
}

/** "last hour", "last 90 minutes": the look-back window the unit is configured with. */
function fmtWindow(minutes) {
  if (minutes === 60) return 'last hour';
  return minutes % 60 === 0 ? `last ${minutes / 60} hours` : `last ${minutes} minutes`;
}

function openWatch() {
  if (!state) return;
  if (watchPutAside) {
    watchPutAside = false;
    $('watch-error').textContent = 'An alert came while you were filling this in: here it is as you left it.';
    $('watch-form').hidden = false;
    $('watch-plate').focus();
    return;
  }
  // A unit configured with no look-back window (0) has nothing to search.
  $('watch-lookback-set').hidden = !(state.lookBackMinutes > 0);
  $('watch-lookback-text').textContent =
    `Also search the reads of the ${fmtWindow(state.lookBackMinutes)} for it`;
  const hours = $('watch-hours');
  hours.textContent = '';
  for (const h of state.watchHours) {
    const option = document.createElement('option');
    option.value = String(h);
    option.textContent = `${h} hours`;
    option.selected = h === 12; // a shift
    hours.appendChild(option);
  }
  for (const id of ['watch-plate', 'watch-state', 'watch-reason', 'watch-case']) $(id).value = '';
  $('watch-priority').value = 'medium';
  const purposes = $('watch-purpose');
  purposes.textContent = '';
  for (const p of [{ code: '', text: 'choose…' }, ...state.purposes]) {
    const option = document.createElement('option');
    option.value = p.code;
    option.textContent = p.text;
    purposes.appendChild(option);
  }
  $('watch-lookback').checked = false;
  $('watch-attest').checked = false;
  $('watch-lookback-fields').hidden = true;
  $('watch-error').textContent = '';
  $('watch-form').hidden = false;
  $('watch-plate').focus();
}

function closeWatch() {
  hideForm('watch-form');
  watchPutAside = false;
}

$('watch-form').addEventListener('submit', (e) => {
  e.preventDefault();
  api('POST', '/api/watch', {
    plate: $('watch-plate').value,
    state: $('watch-state').value.trim() || null,
    reason: $('watch-reason').value,
    hours: Number($('watch-hours').value),
    priority: $('watch-priority').value,
    ...($('watch-lookback').checked
      ? {
          lookBack: {
            purpose: $('watch-purpose').value,
            caseNumber: $('watch-case').value,
            attested: $('watch-attest').checked,
          },
        }
      : {}),
  })
    // Added: the form closes and the watch list shows it. Already watched: the watch was renewed
    // (or needed nothing); the form stays open and says whose watch it is and what it is now.
    .then((r) => {
      if (r.added) return closeWatch();
      const watch = (w) =>
        `${w.enteredBy}, ${w.expiresAt === null ? 'no expiry' : `until ${fmtTime(w.expiresAt)}`}, ${w.priority} priority: ${w.reason}`;
      const plate = `${r.watch.plate} ${r.watch.state || 'any state'}`;
      $('watch-error').textContent = r.renewed
        ? `${plate} was already watched (${watch(r.previous)}). Renewed, now: ${watch(r.watch)}.`
        : `${plate} is already watched (${watch(r.watch)}). Nothing changed.`;
    })
    .catch((err) => {
      $('watch-error').textContent = err.message;
    });
});
$('watch-cancel').addEventListener('click', closeWatch);
$('watch-lookback').addEventListener('change', () => {
  $('watch-lookback-fields').hidden = !$('watch-lookback').checked;
});
$('watch').addEventListener('click', openWatch);

$('reject-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const chosen = document.querySelector('input[name="reason"]:checked');
  if (!chosen) {
    $('reject-error').textContent = 'Choose a reason.';
    return;
  }
  const text = $('reject-text').value.trim();
  const id = $('reject-form').dataset.hitId; // the alert it was opened for (it closes when that changes)
  api('POST', `/api/hits/${id}/reject`, { reason: chosen.value, text: text || undefined })
    .then(closeReject)
    .catch((err) => {
      $('reject-error').textContent = err.message;
    });
});
$('reject-cancel').addEventListener('click', closeReject);
$('confirm-plate').addEventListener('click', () => act('confirm', { what: 'plate' }));
$('confirm-state').addEventListener('click', () => act('confirm', { what: 'state' }));
$('verify').addEventListener('click', () => act('verify'));
$('reject').addEventListener('click', openReject);
$('hit-error-reject').addEventListener('click', openReject);
$('theme').addEventListener('click', () =>
  applyTheme(document.documentElement.dataset.theme === 'day' ? 'night' : 'day'),
);
$('mute').addEventListener('click', () => {
  muteLow = !muteLow;
  applyMute();
});
$('signout').addEventListener('click', () =>
  api('POST', '/api/signout').finally(() => {
    // The next officer starts from the defaults and an empty form, not this one's choices.
    localStorage.removeItem('lpr-mute-low');
    muteLow = false;
    applyMute();
    $('signin-name').value = '';
    showSignIn();
  }),
);

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  // Creating the audio context inside a user gesture lets later alerts sound.
  try {
    audio = audio || new AudioContext();
  } catch {
    audio = null;
  }
  api('POST', '/api/signin', { name: $('signin-name').value, secret: $('signin-secret').value })
    .then(() => {
      $('signin-secret').value = '';
      $('signin-error').textContent = '';
      startEvents();
    })
    .catch((err) => {
      $('signin-error').textContent = err.message;
    });
});

document.addEventListener('keydown', (e) => {
  if ($('app').hidden || e.ctrlKey || e.altKey || e.metaKey) return;
  const rejectOpen = !$('reject-form').hidden;
  if (e.key === 'Escape' && rejectOpen) return closeReject();
  if (e.key === 'Escape' && !$('watch-form').hidden) return closeWatch();
  if (e.key === 'Escape' && verified && !$('no-alert').hidden) return doneVerified();
  const typing =
    (e.target instanceof window.HTMLInputElement && e.target.type !== 'radio') ||
    e.target instanceof window.HTMLSelectElement;
  if (typing || !$('watch-form').hidden) return;
  if (rejectOpen) {
    const n = Number(e.key);
    const radios = document.querySelectorAll('input[name="reason"]');
    if (n >= 1 && n <= radios.length) {
      radios[n - 1].checked = true;
      radios[n - 1].focus();
      e.preventDefault();
    }
    return;
  }
  const key = e.key.toLowerCase();
  if (key === 'p' && !$('confirm-plate').disabled) act('confirm', { what: 'plate' });
  else if (key === 's' && !$('confirm-state').disabled) act('confirm', { what: 'state' });
  else if (key === 'v' && !$('verify').disabled) act('verify');
  else if (key === 'r' && !$('reject').disabled) openReject();
  else if (key === 'w') openWatch();
  else if (key === 't') $('theme').click();
  else if (key === 'm') $('mute').click();
  else return;
  e.preventDefault();
});

api('GET', '/api/state')
  .then(startEvents)
  .catch(() => showSignIn());
