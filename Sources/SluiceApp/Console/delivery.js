// #/destinations/{id}/delivery: what is being delivered. The Delivery Overview's stages as totals; charts (charts.js)
// of delivered, failed, retried and filtered events and of latency, per minute, hour or day; the event log (each row
// expands to the request and the answer); the failed events, with replay; pause and resume, the rate limit, and whether
// the circuit breaker marked the destination failing. Refreshed every 5 s
// while the page is shown (a switch turns that off), and with the Refresh button.

import { ApiError, get, patch, post, query, session } from './api.js';
import { chart } from './charts.js';
import { clearErrors, field, h, notice, pretty, replace, showError, submitting, when } from './ui.js';
import { destinationHeader } from './subscriptions.js';

/** The periods offered: granularity, how many buckets, and the words for them. */
const PERIODS = {
  MINUTE: { buckets: 30, unitMs: 60e3, label: 'Last 30 minutes, per minute' },
  HOUR: { buckets: 24, unitMs: 3600e3, label: 'Last 24 hours, per hour' },
  DAY: { buckets: 14, unitMs: 86400e3, label: 'Last 14 days, per day' },
};

const STAGES = [
  ['successfully-received', 'Received'],
  ['filtered-at-source', 'Filtered at source'],
  ['filtered-at-destination', 'Filtered at destination'],
  ['failed-delivery', 'Failed'],
  ['successful-delivery', 'Delivered'],
];

const REFRESH_MS = 5000;

/** The first bucket's start (UTC, as the Delivery Overview rounds) for `buckets` buckets ending with the current one. */
export function periodStart(granularity, now = new Date()) {
  const { buckets, unitMs } = PERIODS[granularity];
  const d = new Date(now.getTime());
  if (granularity === 'MINUTE') d.setUTCSeconds(0, 0);
  else if (granularity === 'HOUR') d.setUTCMinutes(0, 0, 0);
  else d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() - (buckets - 1) * unitMs);
}

const iso = (d) => d.toISOString();
const num = (n) => (n ?? 0).toLocaleString();
const plural = (n, what = 'event') => `${num(n)} ${what}${n === 1 ? '' : 's'}`;

function metricOf(summary, name) {
  const m = (summary.metrics || []).find((x) => x.metricName === name);
  const out = { total: m ? m.total : 0 };
  for (const b of (m && m.breakdown) || []) out[b.metricName] = b.value;
  return out;
}

export async function render(main, { id, query: params }) {
  const readOnly = session.readOnly();
  const destination = (await get(`/destinations/${encodeURIComponent(id)}`)).data.destination;
  const name = destination.name || (destination.metadata && destination.metadata.name) || id;
  const sourceId = destination.sourceId;
  let granularity = PERIODS[(params && params.get('granularity')) || ''] ? params.get('granularity') : 'MINUTE';
  let left = false;
  let busy = false;
  const latencyCache = new Map(); // `${granularity} ${bucket}` -> summary of a closed bucket

  // --- Layout ----------------------------------------------------------------------------------------------------
  const stateBox = h('div', { class: 'delivery-state row' });
  const updated = h('span', { class: 'hint', 'aria-live': 'off' });
  const auto = h('input', { type: 'checkbox', checked: true, id: 'delivery-auto' });
  const periodSelect = h(
    'select',
    { id: 'delivery-period', name: 'granularity' },
    Object.entries(PERIODS).map(([g, p]) => h('option', { value: g, selected: g === granularity }, p.label)),
  );
  const stagesBox = h('div', { class: 'stages-box' });
  const chartsBox = h('div', { class: 'charts' }, h('p', { class: 'loading' }, 'Loading the charts…'));
  const logBox = h('div', { class: 'log-box' }, h('p', { class: 'loading' }, 'Loading the event log…'));
  const failedBox = h('div', { class: 'failed-box' }, h('p', { class: 'loading' }, 'Loading the failed events…'));
  const failedActions = h('div', { class: 'row' });
  const limitInput = h('input', { type: 'number', name: 'rateLimit.eventsPerSecond', min: '0', step: 'any', inputmode: 'decimal', disabled: readOnly });
  const limitForm = h(
    'form',
    { class: 'row limit-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('Rate limit (events a second; empty for none)', limitInput),
    readOnly ? null : h('button', { type: 'submit' }, 'Save limit'),
  );
  limitForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(limitForm);
    if (limitInput.validity.badInput) {
      showError(limitForm, limitInput.name, 'Enter a number of events a second, or leave it empty for no limit.');
      limitInput.focus();
      return;
    }
    const text = limitInput.value.trim();
    const rateLimit = text === '' ? null : { eventsPerSecond: Number(text) };
    submitting(limitForm, (f) => f, async () => {
      await patch(`/sluice/destinations/${encodeURIComponent(id)}/delivery`, { rateLimit });
      notice(rateLimit ? `Delivery limited to ${rateLimit.eventsPerSecond.toLocaleString()} events a second.` : 'Rate limit removed.');
      shown = null;
      await loadState();
    });
  });

  replace(
    main,
    destinationHeader(destination, 'delivery', 'Delivery'),
    h(
      'div',
      { class: 'row toolbar' },
      stateBox,
      h('button', { type: 'button', onclick: () => refresh(true) }, 'Refresh'),
      h('label', { class: 'check', for: 'delivery-auto' }, auto, ' Refresh every 5 seconds'),
      updated,
    ),
    limitForm,
    h('h2', {}, 'Overview'),
    h('div', { class: 'field inline' }, h('label', { for: 'delivery-period' }, 'Period'), periodSelect),
    stagesBox,
    chartsBox,
    h('h2', { id: 'event-log' }, 'Event log'),
    h('p', { class: 'hint' }, 'Every delivery attempt, newest first (the latest 50). Details shows the request Sluice sent and the answer.'),
    logBox,
    h('h2', { id: 'failed-events' }, 'Failed events'),
    h('p', { class: 'hint' }, 'Events whose delivery gave up: refused by the receiver, or out of retries. Replaying one sends it again now.'),
    failedActions,
    failedBox,
  );

  periodSelect.addEventListener('change', () => {
    granularity = periodSelect.value;
    replace(chartsBox, h('p', { class: 'loading' }, 'Loading the charts…'));
    refresh(true);
  });

  // --- Pause and resume, rate limit, breaker -------------------------------------------------------------------
  let shown = null;
  let stateSeq = 0;
  async function loadState() {
    const mine = ++stateSeq;
    const state = (await get(`/sluice/destinations/${encodeURIComponent(id)}/delivery`)).data.delivery;
    const rate = state.rateLimit ? state.rateLimit.eventsPerSecond : null;
    // A hold of a second or two is the rate limit at work: only a longer one (a vendor's Retry-After) is worth a badge.
    const held = state.heldUntil && !state.failing && new Date(state.heldUntil).getTime() - Date.now() > 2000 ? state.heldUntil : null;
    const key = JSON.stringify([state.paused, state.failing, rate, held]);
    if (left || mine !== stateSeq || key === shown) return;
    if (shown === null) limitInput.value = rate ?? '';
    shown = key;
    const focused = stateBox.contains(document.activeElement);
    replace(
      stateBox,
      h(
        'span',
        { class: `badge ${state.paused ? 'warn' : 'ok'}`, 'data-paused': String(state.paused) },
        state.paused ? `Delivery paused since ${when(state.pausedAt)}` : 'Delivering',
      ),
      state.failing
        ? h(
            'span',
            { class: 'badge bad', 'data-failing': 'true', title: `Every attempt has failed since ${when(state.failuresSince)}` },
            `Failing since ${when(state.failingSince)}: events wait, a probe is sent now and then`,
          )
        : null,
      held ? h('span', { class: 'badge warn', 'data-held': 'true' }, `The receiver asked to wait until ${when(held)}`) : null,
      rate !== null ? h('span', { class: 'badge', 'data-rate-limit': String(rate) }, `At most ${rate.toLocaleString()} events a second`) : null,
      readOnly
        ? null
        : h('button', { type: 'button', class: state.paused ? 'primary' : '', onclick: () => setPaused(!state.paused) }, state.paused ? 'Resume delivery' : 'Pause delivery'),
    );
    if (focused) stateBox.querySelector('button')?.focus();
  }
  async function setPaused(pause) {
    try {
      await post(`/sluice/destinations/${encodeURIComponent(id)}/delivery/${pause ? 'pause' : 'resume'}`, {});
      notice(pause ? 'Delivery paused: events are held until you resume.' : 'Delivery resumed.');
      shown = null;
      await loadState();
    } catch (e) {
      notice(e.message, 'error');
    }
  }

  // --- Overview: stages and charts --------------------------------------------------------------------------------
  let overviewSeq = 0;
  async function loadOverview() {
    const mine = ++overviewSeq;
    const g = granularity;
    const now = new Date();
    const start = periodStart(g, now);
    const common = { sourceId, startTime: iso(start), endTime: iso(now), granularity: g };
    const steps = await Promise.all(
      STAGES.map(([step]) =>
        get(`/delivery-overview/${step}${query(step.includes('delivery') || step.includes('destination') ? { ...common, destinationConfigId: id } : common)}`).then(
          (a) => a.data,
        ),
      ),
    );
    const byStep = Object.fromEntries(STAGES.map(([step], i) => [step, steps[i]]));
    const delivered = byStep['successful-delivery'];
    const times = ((delivered.dataset[0] || {}).series || []).map((p) => p.time);
    const seriesOf = (step, key = 'count') => {
      const points = new Map();
      for (const ds of byStep[step].dataset || []) for (const p of ds.series || []) points.set(p.time, (points.get(p.time) || 0) + (p[key] || 0));
      return times.map((t) => points.get(t) || 0);
    };
    const latency = await latencies(g, times, now);
    if (left || g !== granularity || mine !== overviewSeq) return;

    replace(
      stagesBox,
      h(
        'ol',
        { class: 'stages', 'aria-label': `Delivery Overview, ${PERIODS[g].label.toLowerCase()}` },
        STAGES.map(([step, label]) =>
          h('li', { class: `stage stage-${step}`, 'data-step': step }, h('span', { class: 'stage-label' }, label), h('span', { class: 'stage-total' }, num(byStep[step].total))),
        ),
      ),
    );

    const sum = (xs) => xs.reduce((a, b) => a + (b || 0), 0);
    const deliveredValues = seriesOf('successful-delivery');
    const afterRetry = delivered.dataset[0] ? delivered.dataset[0].totalRetryCount || 0 : 0;
    const failed = seriesOf('failed-delivery');
    const retried = latency.map((m) => (m ? m.retried : null));
    const atDest = seriesOf('filtered-at-destination');
    const atSource = seriesOf('filtered-at-source');
    const avg = latency.map((m) => (m && m.measured ? m.average : null));
    const p95 = latency.map((m) => (m && m.measured ? m.p95 : null));
    const measured = latency.reduce((a, m) => a + (m ? m.measured : 0), 0);
    const weighted = latency.reduce((a, m) => a + (m ? m.measured * m.average : 0), 0);
    const scroll = window.scrollY;
    replace(
      chartsBox,
      chart({
        title: 'Delivered',
        granularity: g,
        times,
        series: [{ label: 'Delivered', cls: 's-delivered', values: deliveredValues }],
        summary: `${plural(sum(deliveredValues))} delivered (${num(afterRetry)} after a retry).`,
      }),
      chart({
        title: 'Failed',
        granularity: g,
        times,
        series: [{ label: 'Failed', cls: 's-failed', values: failed }],
        summary: `${plural(sum(failed))} failed for good (discarded or expired).`,
      }),
      chart({
        title: 'Retried',
        granularity: g,
        times,
        series: [{ label: 'Retried attempts', cls: 's-retried', values: retried }],
        summary: `${plural(sum(retried), 'failed attempt')} followed by a retry.`,
      }),
      chart({
        title: 'Filtered',
        granularity: g,
        times,
        series: [
          { label: 'At destination', cls: 's-filtered', values: atDest },
          { label: 'At source', cls: 's-filtered-source', values: atSource },
        ],
        summary: `${num(sum(atDest))} kept from this destination by its filters or triggers; ${num(sum(atSource))} filtered at the source.`,
      }),
      chart({
        title: 'Latency (time to success)',
        kind: 'line',
        unit: 'ms',
        granularity: g,
        times,
        series: [
          { label: 'Average', cls: 's-latency', values: avg },
          { label: '95th percentile', cls: 's-latency-p95', values: p95 },
        ],
        summary: measured
          ? `From receipt to delivery: ${num(Math.round(weighted / measured))} ms on average over ${num(measured)} deliveries.`
          : 'No delivery measured in this period.',
      }),
    );
    window.scrollTo(window.scrollX, scroll);
  }

  /** Per bucket: {retried, measured, average, p95} from delivery-metrics, one call per bucket; closed buckets cached. */
  async function latencies(g, times, now) {
    const { unitMs } = PERIODS[g];
    return Promise.all(
      times.map(async (t) => {
        const key = `${g} ${t}`;
        if (latencyCache.has(key)) return latencyCache.get(key);
        const start = new Date(t);
        const endMs = start.getTime() + unitMs;
        const end = new Date(Math.min(endMs, now.getTime()));
        if (end <= start) return null;
        try {
          const summary = (
            await get(`/destinations/${encodeURIComponent(id)}/delivery-metrics${query({ sourceId, granularity: g, startTime: iso(start), endTime: iso(end) })}`)
          ).data.deliveryMetricsSummary;
          const tts = metricOf(summary, 'time_to_success');
          const out = {
            retried: metricOf(summary, 'retried').total,
            measured: tts.total,
            average: tts.time_to_success_average || 0,
            p95: tts.time_to_success_p95 || 0,
          };
          if (endMs < now.getTime() - 60e3) latencyCache.set(key, out);
          return out;
        } catch {
          return null; // a bucket outside what delivery-metrics answers: a gap in the chart
        }
      }),
    );
  }

  // --- Event log --------------------------------------------------------------------------------------------------
  const expanded = new Set();
  let logSignature = '';
  let logSeq = 0;
  async function loadLog() {
    const mine = ++logSeq;
    const entries = (await get(`/sluice/destinations/${encodeURIComponent(id)}/event-log${query({ 'pagination.count': 50 })}`)).data.attempts || [];
    const signature = JSON.stringify(entries.map((e) => [e.id, e.status]));
    if (left || mine !== logSeq || signature === logSignature) return;
    logSignature = signature;
    keepFocus(logBox, () =>
      replace(
        logBox,
        entries.length
          ? h(
              'table',
              { class: 'event-log' },
              h('caption', { class: 'visually-hidden' }, `Event log of ${name}, newest first`),
              h('thead', {}, h('tr', {}, ['Time', 'Event', 'Status', 'Reason', 'Attempt', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
              entries.map((e) => logRows(e)),
            )
          : h('p', { class: 'empty' }, 'No delivery attempts yet. Send events to the source and they appear here.'),
      ),
    );
  }

  function logRows(e) {
    const { button, detail } = disclosure(expanded, e.id, 'log', 6, attemptDetail(e), () => `the request and answer of attempt ${e.attempt} of ${e.messageId}`);
    return h(
      'tbody',
      { class: 'log-entry', 'data-message-id': e.messageId },
      h(
        'tr',
        {},
        h('td', { 'data-label': 'Time' }, when(e.attemptedAt)),
        h('td', { 'data-label': 'Event' }, `${e.eventType || ''}${e.eventName ? ` “${e.eventName}”` : ''}`, h('span', { class: 'hint block' }, e.messageId)),
        h('td', { 'data-label': 'Status' }, statusBadge(e.status)),
        h('td', { 'data-label': 'Reason' }, e.reason || ''),
        h('td', { 'data-label': 'Attempt' }, String(e.attempt)),
        h('td', { 'data-label': 'Details' }, button),
      ),
      detail,
    );
  }

  // --- Failed events ----------------------------------------------------------------------------------------------
  const selected = new Set();
  const openFailed = new Set();
  let failedSignature = '';
  let failedIds = [];
  let failedSeq = 0;
  async function loadFailed() {
    const mine = ++failedSeq;
    const answer = (await get(`/sluice/failed-events${query({ destinationId: id, 'pagination.count': 100 })}`)).data;
    const events = answer.failedEvents || [];
    const signature = JSON.stringify(events.map((e) => e.id));
    if (left || mine !== failedSeq || signature === failedSignature) return;
    failedSignature = signature;
    failedIds = events.map((e) => e.id);
    for (const s of [...selected]) if (!failedIds.includes(s)) selected.delete(s);
    const total = answer.pagination && answer.pagination.totalEntries;
    keepFocus(failedActions, () => renderFailedActions(events.length, total));
    keepFocus(failedBox, () =>
      replace(
        failedBox,
        events.length
          ? h(
              'table',
              { class: 'failed-events' },
              h('caption', { class: 'visually-hidden' }, `Failed events of ${name}, newest first`),
              h(
                'thead',
                {},
                h('tr', {}, [readOnly ? null : 'Select', 'Failed at', 'Event', 'Status', 'Reason', 'Attempts', 'Event body'].filter(Boolean).map((c) => h('th', { scope: 'col' }, c))),
              ),
              events.map((e) => failedRows(e)),
            )
          : h('p', { class: 'empty' }, 'No failed events.'),
      ),
    );
  }

  function failedRows(e) {
    const ev = e.event || {};
    const { button, detail } = disclosure(openFailed, e.id, 'failed', readOnly ? 6 : 7, h('pre', {}, pretty(ev)), () => `the event ${e.messageId}`);
    const box = readOnly
      ? null
      : h('input', {
          type: 'checkbox',
          'aria-label': `Select the failed event ${e.messageId}`,
          checked: selected.has(e.id),
          'data-key': `select-${e.id}`,
          onchange: (x) => {
            if (x.target.checked) selected.add(e.id);
            else selected.delete(e.id);
            renderFailedActions(failedIds.length);
          },
        });
    return h(
      'tbody',
      { class: 'failed-entry', 'data-message-id': e.messageId },
      h(
        'tr',
        {},
        box ? h('td', { 'data-label': 'Select' }, box) : null,
        h('td', { 'data-label': 'Failed at' }, when(e.failedAt)),
        h('td', { 'data-label': 'Event' }, `${ev.type || ''}${ev.event || ev.name ? ` “${ev.event || ev.name}”` : ''}`, h('span', { class: 'hint block' }, e.messageId)),
        h('td', { 'data-label': 'Status' }, statusBadge(e.status)),
        h('td', { 'data-label': 'Reason' }, e.reason || ''),
        h('td', { 'data-label': 'Attempts' }, String(e.attempts)),
        h('td', { 'data-label': 'Event body' }, button),
      ),
      detail,
    );
  }

  let lastTotal;
  function renderFailedActions(count, total = lastTotal) {
    lastTotal = total;
    if (readOnly || !count) return replace(failedActions);
    return replace(
      failedActions,
      h('button', { type: 'button', disabled: !selected.size, onclick: () => replay({ ids: [...selected] }), 'data-key': 'replay-selected' }, `Replay selected (${selected.size})`),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => replay({ destinationId: id }), 'data-key': 'replay-all' },
        `Replay all ${plural(total && total > count ? total : count, 'failed event')}`,
      ),
    );
  }

  async function replay(body) {
    try {
      const answer = await post('/sluice/failed-events/replay', body);
      const n = answer.data.replayed;
      selected.clear();
      notice(`Replayed ${n} event${n === 1 ? '' : 's'}: they are being delivered again.`);
      await refresh(true);
    } catch (e) {
      notice(e.message, 'error');
    }
  }

  // --- Refreshing -------------------------------------------------------------------------------------------------
  async function refresh(forced = false) {
    if (left || (busy && !forced)) return;
    busy = true;
    const problems = [];
    let signedOut = false;
    const guard = (what, p) =>
      p.catch((e) => {
        if (e instanceof ApiError && e.status === 401) signedOut = true;
        problems.push(`${what}: ${e.message}`);
      });
    await Promise.all([
      guard('delivery state', loadState()),
      guard('overview', loadOverview()),
      guard('event log', loadLog()),
      guard('failed events', loadFailed()),
    ]);
    busy = false;
    if (left) return;
    if (signedOut) {
      // The token is no longer valid (api.js signed out): let the router show the sign-in form (it calls our leave).
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      return;
    }
    updated.textContent = problems.length ? `Could not load ${problems.join('; ')}` : `Updated ${new Date().toLocaleTimeString()}`;
    updated.className = problems.length ? 'error' : 'hint';
  }

  const timer = setInterval(() => {
    if (!stateBox.isConnected) {
      // The page was replaced without our leave function being called: stop here.
      left = true;
      clearInterval(timer);
      return;
    }
    if (auto.checked && !document.hidden) refresh();
  }, REFRESH_MS);

  await refresh(true);
  return () => {
    left = true;
    clearInterval(timer);
  };
}

/**
 * A Show/Hide button and the table row it opens (`colspan` cells wide, holding `content`), for the item `id` of a
 * list; `openIds` (a Set) keeps which are open across refreshes. `what()` names the content for screen readers.
 */
function disclosure(openIds, id, kind, colspan, content, what) {
  const detailId = `${kind}-detail-${id}`;
  const button = h('button', { type: 'button', class: 'link', 'aria-controls': detailId, 'data-key': `${kind}-${id}` });
  const detail = h('tr', { id: detailId, class: 'detail' }, h('td', { colspan }, content));
  const show = (open) => {
    detail.hidden = !open;
    button.textContent = open ? 'Hide' : 'Show';
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', `${open ? 'Hide' : 'Show'} ${what()}`);
  };
  button.addEventListener('click', () => {
    const open = !openIds.has(id);
    if (open) openIds.add(id);
    else openIds.delete(id);
    show(open);
  });
  show(openIds.has(id));
  return { button, detail };
}

function statusBadge(status) {
  const kind = { DELIVERED: 'ok', RETRYING: 'warn', DISCARDED: 'bad', EXPIRED: 'bad' }[status] || '';
  return h('span', { class: `badge ${kind}` }, status || '');
}

function attemptDetail(e) {
  const req = e.request;
  const res = e.response;
  return h(
    'div',
    { class: 'attempt-detail' },
    h('h3', {}, 'Request'),
    req
      ? [
          h('p', {}, h('code', {}, `${req.method} ${req.url}`), ` · ${req.events} event${req.events === 1 ? '' : 's'} · ${req.durationMs} ms`),
          req.body === null || req.body === undefined
            ? h('p', { class: 'hint' }, 'Body not kept.')
            : h('pre', {}, prettyText(req.body), req.bodyTruncated ? '\n… (cut at 16 KB)' : ''),
        ]
      : h('p', { class: 'hint' }, 'No request was sent.'),
    h('h3', {}, 'Answer'),
    res
      ? [h('p', {}, `HTTP ${res.status}`), res.body ? h('pre', {}, prettyText(res.body)) : null]
      : h('p', { class: 'hint' }, 'No answer came (a timeout or a refused connection).'),
  );
}

function prettyText(text) {
  try {
    return pretty(JSON.parse(text));
  } catch {
    return text;
  }
}

/** Runs `fn` (which rebuilds `box`) and puts the focus back on the element with the same data-key, if it had it. */
function keepFocus(box, fn) {
  const active = document.activeElement;
  const key = active && box.contains(active) ? active.getAttribute('data-key') : null;
  fn();
  if (key) {
    const again = box.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}
