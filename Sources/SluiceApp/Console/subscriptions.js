// #/destinations/{id}/subscriptions: an Actions destination's subscriptions. List them (enable, delete), add the
// catalog's presets, and create or edit one: its action, its fields' mappings (JSON, catalog defaults filled in, each
// previewed live against a sample event with POST /sluice/mappings/preview) and its trigger (checked as you type with
// POST /sluice/triggers/check). The sample event is pasted, or taken from a recent entry of the event log.
// A read-only token sees the list and can open a subscription to try triggers and mappings; nothing is saved.

import { ApiError, all, del, get, patch, post, query, session } from './api.js';
import { clearErrors, debounce, field, h, notice, parseJSON, pretty, replace, rowActions, savingSwitch, showApiError, showError, submitting, table, when } from './ui.js';
import { destinationTabs } from './destinations.js';

const WEBHOOKS_ACTIONS = '614a3c7d791c91c41bae7599';

/**
 * The top of a destination's page (shared by filters.js and delivery.js): crumbs, the heading ("Subscriptions ·
 * name") and the destination's tabs (destinations.js).
 */
export function destinationHeader(destination, here, title) {
  const name = destination.name || (destination.metadata && destination.metadata.name) || destination.id;
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, 'Destinations'), ' / ', h('a', { href: `#/destinations/${encodeURIComponent(destination.id)}` }, name), ` / ${title}`),
    h('h1', {}, `${title} · ${name}`),
    destinationTabs(destination, here),
  ];
}

/** A destination and its catalog entry (`metadata`, with `actions` and `presets`). */
export async function loadDestination(id) {
  const destination = (await get(`/destinations/${encodeURIComponent(id)}`)).data.destination;
  let metadata = destination.metadata || {};
  if (!Array.isArray(metadata.actions) && metadata.id) {
    metadata = (await get(`/catalog/destinations/${encodeURIComponent(metadata.id)}`)).data.destinationMetadata;
  }
  return { destination, metadata };
}

/** A track event to try triggers and mappings on, until the person pastes or picks another. */
export function defaultSampleEvent() {
  return {
    type: 'track',
    event: 'Order Completed',
    userId: 'user-42',
    anonymousId: 'anon-7f3c',
    messageId: 'sample-message-1',
    timestamp: new Date().toISOString(),
    properties: { orderId: 'o-1001', revenue: 42.5, currency: 'EUR', products: [{ productId: 'p-1', price: 42.5, quantity: 1 }] },
    context: { ip: '203.0.113.7', locale: 'en-GB', library: { name: 'analytics.js', version: '5.0.0' }, page: { path: '/checkout', url: 'https://example.com/checkout' } },
  };
}

/**
 * A sample event from an event-log entry, and a sentence saying what it is. For Webhooks the logged request body is
 * the event as delivered; for other destinations the log keeps the event's type, name, ids and messageId only.
 */
export function sampleFromLog(entry, isWebhook) {
  if (isWebhook && entry.request && typeof entry.request.body === 'string' && !entry.request.bodyTruncated) {
    try {
      const body = JSON.parse(entry.request.body);
      const candidates = Array.isArray(body) ? body : Array.isArray(body && body.batch) ? body.batch : [body];
      const hit = candidates.find((e) => e && typeof e === 'object' && e.messageId === entry.messageId) || (candidates.length === 1 ? candidates[0] : null);
      if (hit && typeof hit === 'object' && !Array.isArray(hit) && hit.type) {
        return { event: hit, what: 'the request body Sluice sent to the webhook for this event (the whole event as delivered)' };
      }
    } catch {
      // not JSON: fall through to what the log keeps of the event
    }
  }
  const event = { type: entry.eventType || 'track' };
  if (entry.eventName) event[event.type === 'track' ? 'event' : 'name'] = entry.eventName;
  if (entry.userId) event.userId = entry.userId;
  if (entry.anonymousId) event.anonymousId = entry.anonymousId;
  if (entry.messageId) event.messageId = entry.messageId;
  return {
    event,
    what: "rebuilt from what the event log keeps of the event: its type, name, userId, anonymousId and messageId (no properties, traits or context)",
  };
}

/** A mapping as the text of its editor: on one line when short, indented otherwise; '' for none. */
function jsonText(value) {
  if (value === undefined) return '';
  const flat = JSON.stringify(value);
  return flat.length <= 60 ? flat : pretty(value);
}

const errorField = (f) => {
  const name = f.replace(/^input\./, '');
  if (name.startsWith('settings.')) return `settings.${name.split('.')[1].replace(/\[.*$/, '')}`;
  return name;
};

export async function render(main, { id }) {
  const readOnly = session.readOnly();
  const { destination, metadata } = await loadDestination(id);
  const actions = (metadata.actions || []).filter((a) => !a.hidden);
  const presets = metadata.presets || [];
  const isWebhook = metadata.id === WEBHOOKS_ACTIONS;
  const name = destination.name || metadata.name || id;
  const subsPath = `/destinations/${encodeURIComponent(id)}/subscriptions`;

  const listBox = h('div', { class: 'subs-list' });
  const editorBox = h('div', { class: 'subs-editor' });
  let cleanup = () => {};

  replace(
    main,
    destinationHeader(destination, 'subscriptions', 'Subscriptions'),
    actions.length
      ? null
      : h('p', { class: 'empty' }, `${metadata.name || 'This destination'} is not an Actions destination: it has no actions to subscribe to.`),
  );
  if (!actions.length) return undefined;

  main.append(
    ...[
      h('p', { class: 'hint' }, `A subscription sends the events its trigger matches through one action of ${metadata.name}.`),
      h(
        'div',
        { class: 'row' },
        readOnly ? null : h('button', { type: 'button', class: 'primary', onclick: () => openEditor(null) }, 'New subscription'),
        readOnly ? h('span', { class: 'badge' }, 'Read-only: open a subscription to try its trigger and mappings; nothing is saved.') : null,
      ),
      listBox,
      readOnly || !presets.length ? null : presetsCard(),
      editorBox,
    ].filter(Boolean),
  );

  const actionById = new Map(actions.map((a) => [a.id, a]));
  let subscriptions = [];

  async function load() {
    subscriptions = await all(subsPath, 'subscriptions');
    replace(
      listBox,
      table(
        `Subscriptions of ${name}`,
        [
          { label: 'Name', cell: (s) => s.name || '(no name)' },
          { label: 'Action', cell: (s) => (actionById.get(s.actionId) || {}).name || s.actionSlug || s.actionId },
          { label: 'Trigger', cell: (s) => h('code', {}, s.trigger) },
          {
            label: 'Enabled',
            cell: (s) => (readOnly ? h('span', { class: `badge ${s.enabled ? 'ok' : ''}` }, s.enabled ? 'enabled' : 'disabled') : enabledSwitch(s)),
          },
          {
            label: 'Actions',
            cell: (s) =>
              rowActions({
                title: s.name,
                what: `the subscription “${s.name}”`,
                openLabel: readOnly ? 'Open' : 'Edit',
                open: () => openEditor(s),
                readOnly,
                question: `Delete the subscription “${s.name}”? Its events stop at once.`,
                remove: () => del(`${subsPath}/${encodeURIComponent(s.id)}`),
                reload: load,
              }),
          },
        ],
        subscriptions,
        'No subscriptions yet: no event goes to this destination.',
      ),
    );
  }

  function enabledSwitch(s) {
    return savingSwitch(`The subscription “${s.name}”`, s.enabled, async (on) => {
      const answer = await patch(`${subsPath}/${encodeURIComponent(s.id)}`, { input: { enabled: on } });
      s.enabled = answer.data.subscription.enabled;
      return s.enabled;
    });
  }

  function presetsCard() {
    const acts = new Map(actions.map((a) => [a.id, a]));
    const boxes = presets.map((p) => {
      const action = acts.get(p.actionId);
      const cloud = !action || action.platform !== 'WEB';
      const input = h('input', { type: 'checkbox', name: 'preset', value: p.name, checked: cloud });
      return h(
        'label',
        { class: 'check' },
        input,
        ` ${p.name} `,
        h('span', { class: 'hint' }, `(${action ? action.name : p.actionId}${cloud ? '' : ', runs in the browser only'}; trigger `, h('code', {}, p.trigger || ''), ')'),
      );
    });
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true });
    const form = h(
      'form',
      { class: 'card', onsubmit: submit },
      h('h2', {}, 'Catalog presets'),
      h('p', { class: 'hint' }, `The subscriptions Segment's app creates for ${metadata.name}. Each becomes a subscription named as the preset.`),
      h('p', { class: 'form-error', role: 'alert', hidden: true }),
      h('fieldset', { class: 'checks' }, h('legend', {}, 'Presets to add'), boxes),
      h('label', { class: 'check' }, enabled, ' Enable the new subscriptions'),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Add the catalog presets')),
    );
    async function submit(event) {
      event.preventDefault();
      clearErrors(form);
      const names = [...form.querySelectorAll('input[name="preset"]:checked')].map((i) => i.value);
      if (!names.length) return showError(form, null, 'Choose at least one preset.');
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const answer = await post(`${subsPath}/presets`, { presets: names, enabled: enabled.checked });
        const n = answer.data.subscriptions.length;
        notice(`Added ${n} subscription${n === 1 ? '' : 's'} from the catalog presets.`);
        await load();
      } catch (e) {
        showApiError(form, e, () => null);
      } finally {
        button.disabled = false;
      }
    }
    return form;
  }

  // The editor: one at a time, below the list.
  function openEditor(sub) {
    cleanup();
    const creating = !sub;
    const editable = !readOnly;
    let action = sub ? actionById.get(sub.actionId) : actions[0];
    const settings = sub ? sub.settings || {} : null;

    const nameInput = h('input', { type: 'text', name: 'name', value: sub ? sub.name : action ? action.name : '', disabled: !editable, autocomplete: 'off' });
    const actionSelect = h(
      'select',
      { name: 'actionId', disabled: !creating },
      actions.map((a) => h('option', { value: a.id, selected: action && a.id === action.id }, `${a.name}${a.platform === 'WEB' ? ' (browser only)' : ''}`)),
    );
    if (sub && !action) actionSelect.append(h('option', { value: sub.actionId, selected: true }, sub.actionSlug || sub.actionId));
    const enabledInput = h('input', { type: 'checkbox', name: 'enabled', checked: sub ? sub.enabled : true, disabled: !editable });
    const triggerInput = h('textarea', {
      name: 'trigger',
      rows: 2,
      spellcheck: 'false',
      class: 'code',
      value: sub ? sub.trigger : (action && action.defaultTrigger) || 'type = "track"',
    });
    const triggerStatus = h('p', { class: 'check-status', role: 'status', 'aria-live': 'polite', 'data-state': 'idle' });

    const sampleInput = h('textarea', { name: 'sample', rows: 10, spellcheck: 'false', class: 'code', value: pretty(defaultSampleEvent()) });
    const sampleWhat = h('p', { class: 'hint sample-what' }, 'A made-up track event (Order Completed). Paste any event, or take one from the event log.');
    const logSelect = h('select', { name: 'logEntry', disabled: true }, h('option', { value: '' }, 'Loading the event log…'));
    let logEntries = [];

    const fieldsBox = h('div', { class: 'mapping-fields' });
    const mappingInputs = new Map(); // fieldKey -> {input, preview}

    const form = h(
      'form',
      { class: 'card editor', onsubmit: save, novalidate: true },
      h('h2', { tabindex: '-1' }, creating ? 'New subscription' : readOnly ? `Subscription “${sub.name}” (read-only)` : `Edit “${sub.name}”`),
      h('p', { class: 'form-error', role: 'alert', hidden: true }),
      h(
        'div',
        { class: 'editor-grid' },
        h(
          'div',
          {},
          field('Name', nameInput, { required: true }),
          field('Action', actionSelect, { hint: creating ? 'The fields below are the action’s, with the catalog’s defaults.' : 'An existing subscription keeps its action.' }),
          h('div', { class: 'field' }, h('label', { class: 'check' }, enabledInput, ' Enabled')),
          field('Trigger', triggerInput, {
            hint: readOnly ? 'FQL. Try changes here: they are checked against the sample event, never saved.' : 'FQL, e.g. type = "track" and event = "Order Completed". Checked against the sample event as you type.',
            required: true,
          }),
          triggerStatus,
        ),
        h(
          'div',
          {},
          field('Sample event (JSON)', sampleInput, { hint: 'The trigger and the mappings are tried on this event.' }),
          sampleWhat,
          field('Take a recent event from the event log', logSelect),
        ),
      ),
      h('h3', {}, 'Field mappings'),
      h('p', { class: 'hint' }, 'Each field is JSON: a constant ("text", 42, true) or a mapping directive such as {"@path": "$.properties.revenue"}. Empty leaves the field out. The preview resolves it on the sample event.'),
      fieldsBox,
      h(
        'div',
        { class: 'row' },
        editable ? h('button', { type: 'submit', class: 'primary' }, creating ? 'Create subscription' : 'Save changes') : null,
        h('button', { type: 'button', onclick: close }, 'Close'),
      ),
    );

    function renderFields() {
      mappingInputs.clear();
      const fields = [...((action && action.fields) || [])].filter((f) => !f.hidden).sort((a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0));
      replace(
        fieldsBox,
        fields.length ? null : h('p', { class: 'empty' }, 'This action has no fields.'),
        fields.map((f) => {
          const initial = settings ? settings[f.fieldKey] : f.defaultValue;
          const text = jsonText(initial);
          const input = h('textarea', {
            name: `settings.${f.fieldKey}`,
            rows: Math.min(8, text.split('\n').length),
            spellcheck: 'false',
            class: 'code',
            readonly: !editable,
            value: text,
          });
          const preview = h('output', { class: 'preview', 'aria-live': 'polite' }, '…');
          const hint = [
            f.type ? `${f.type.toLowerCase()}${f.multiple ? ', a list' : ''}` : null,
            f.choices && f.choices.length ? `one of ${f.choices.map((c) => JSON.stringify(c.value)).join(', ')}` : null,
            f.description || null,
          ]
            .filter(Boolean)
            .join('. ');
          const box = field(`${f.label || f.fieldKey} (${f.fieldKey})`, input, { hint, required: f.required });
          const previewId = `${input.id}-preview`;
          preview.id = previewId;
          input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} ${previewId}`);
          box.append(h('div', { class: 'preview-row' }, h('span', { class: 'preview-label' }, 'Preview: '), preview));
          mappingInputs.set(f.fieldKey, { input, preview, field: f });
          input.addEventListener('input', () => {
            clearFieldError(input);
            previewSoon();
          });
          return box;
        }),
      );
    }

    // --- Trigger check -------------------------------------------------------------------------------------------
    let triggerSeq = 0;
    function setTrigger(state, text) {
      triggerStatus.dataset.state = state;
      triggerStatus.className = `check-status ${state}`;
      triggerStatus.textContent = text;
    }
    async function checkTrigger() {
      const seq = ++triggerSeq;
      const sample = parseJSON(sampleInput.value);
      if (!sample.ok || !sample.value || typeof sample.value !== 'object' || Array.isArray(sample.value)) {
        return setTrigger('error', `Cannot check: the sample event is not a JSON object. ${sample.ok ? '' : sample.message}`);
      }
      const trigger = triggerInput.value;
      if (!trigger.trim()) return setTrigger('error', 'The trigger is empty.');
      setTrigger('busy', 'Checking…');
      try {
        const answer = await post('/sluice/triggers/check', { trigger, event: sample.value });
        if (seq !== triggerSeq) return undefined;
        const { matches, note } = answer.data;
        return setTrigger(matches ? 'match' : 'nomatch', `${matches ? '✓ The trigger matches the sample event.' : '✗ The trigger does not match the sample event.'}${note ? ` ${note}` : ''}`);
      } catch (e) {
        if (seq !== triggerSeq) return undefined;
        if (e instanceof ApiError && e.status === 422) {
          const msg = e.forField('trigger');
          if (msg) return setTrigger('error', `The trigger does not parse: ${msg}`);
          const ev = e.forField('event');
          if (ev) return setTrigger('error', `The sample event: ${ev}`);
        }
        return setTrigger('error', `Cannot check the trigger: ${e.message}`);
      }
    }
    const checkSoon = debounce(checkTrigger, 300);

    // --- Mapping preview -----------------------------------------------------------------------------------------
    let previewSeq = 0;
    /** Shows `message` at a mapping field as the preview's (the next preview clears it). */
    function showPreviewError(input, message) {
      showError(form, input.name, message);
      document.getElementById(`${input.id}-error`).dataset.by = 'preview';
    }
    /** Clears the error shown at a mapping field, whoever showed it. */
    function clearFieldError(input) {
      const box = document.getElementById(`${input.id}-error`);
      box.textContent = '';
      box.hidden = true;
      delete box.dataset.by;
      input.removeAttribute('aria-invalid');
    }
    async function previewMappings() {
      const seq = ++previewSeq;
      const sample = parseJSON(sampleInput.value);
      const event = sample.ok && sample.value && typeof sample.value === 'object' && !Array.isArray(sample.value) ? sample.value : null;
      const mapping = {};
      for (const [key, { input, preview }] of mappingInputs) {
        const errorBox = document.getElementById(`${input.id}-error`);
        // Only the preview's own errors: one the server gave when the form was sent stays until its field is edited
        // (a preview due from before the send must not take it away).
        if (errorBox.dataset.by === 'preview') clearFieldError(input);
        if (!input.value.trim()) {
          preview.textContent = '(empty: the field is left out)';
          continue;
        }
        const parsed = parseJSON(input.value);
        if (!parsed.ok) {
          showPreviewError(input, parsed.message);
          preview.textContent = '—';
          continue;
        }
        mapping[key] = parsed.value;
        if (!event) preview.textContent = '(no sample event to preview on)';
      }
      if (!event || !Object.keys(mapping).length) return;
      for (let round = 0; round < 3 && Object.keys(mapping).length; round++) {
        try {
          const answer = await post('/sluice/mappings/preview', { mapping, event });
          if (seq !== previewSeq) return;
          const resolved = answer.data.resolved || {};
          for (const key of Object.keys(mapping)) {
            const value = resolved[key];
            mappingInputs.get(key).preview.textContent = value === undefined || value === null ? '(resolves to nothing: the field is left out)' : jsonText(value);
          }
          return;
        } catch (e) {
          if (seq !== previewSeq) return;
          if (!(e instanceof ApiError && e.status === 422)) {
            for (const key of Object.keys(mapping)) mappingInputs.get(key).preview.textContent = `(no preview: ${e.message})`;
            return;
          }
          // Show each error at its field, then preview the others without them.
          let named = false;
          for (const err of e.errors) {
            // The field names the mapping's key (mapping.name); when it is only "mapping", the message may.
            const path = err.field && err.field !== 'mapping' ? err.field : ((err.message || '').match(/^mapping\.[^\s]+/) || [''])[0];
            const key = path.replace(/^mapping\.?/, '').split(/[.[]/)[0];
            const entry = mappingInputs.get(key);
            if (!entry || !(key in mapping)) continue;
            named = true;
            delete mapping[key];
            showPreviewError(entry.input, err.message);
            entry.preview.textContent = '—';
          }
          if (!named) {
            for (const key of Object.keys(mapping)) mappingInputs.get(key).preview.textContent = `(no preview: ${e.message})`;
            return;
          }
        }
      }
    }
    const previewSoon = debounce(previewMappings, 350);

    // --- Samples from the event log ------------------------------------------------------------------------------
    async function loadLog() {
      try {
        const answer = await get(`/sluice/destinations/${encodeURIComponent(id)}/event-log${query({ 'pagination.count': 25 })}`);
        const seen = new Set();
        logEntries = (answer.data.attempts || []).filter((a) => !seen.has(a.messageId) && seen.add(a.messageId));
        replace(
          logSelect,
          h('option', { value: '' }, logEntries.length ? `Choose one of ${logEntries.length} recent events…` : 'No events in the log yet'),
          logEntries.map((a, i) =>
            h('option', { value: String(i) }, `${when(a.attemptedAt)} · ${a.eventType || '?'}${a.eventName ? ` “${a.eventName}”` : ''} · ${a.userId || a.anonymousId || a.messageId} · ${a.status}`),
          ),
        );
        logSelect.disabled = !logEntries.length;
      } catch (e) {
        replace(logSelect, h('option', { value: '' }, `The event log cannot be read (${e.message})`));
      }
    }
    logSelect.addEventListener('change', () => {
      const entry = logEntries[Number(logSelect.value)];
      if (!logSelect.value || !entry) return;
      const { event, what } = sampleFromLog(entry, isWebhook);
      sampleInput.value = pretty(event);
      sampleWhat.textContent = `From the event log (message ${entry.messageId}, ${when(entry.attemptedAt)}): ${what}.`;
      checkTrigger();
      previewMappings();
    });

    sampleInput.addEventListener('input', () => {
      sampleWhat.textContent = 'Your own sample event.';
      checkSoon();
      previewSoon();
    });
    triggerInput.addEventListener('input', checkSoon);
    actionSelect.addEventListener('change', () => {
      const previous = action;
      action = actionById.get(actionSelect.value);
      if (!nameInput.value || (previous && nameInput.value === previous.name)) nameInput.value = action.name;
      if (action.defaultTrigger) triggerInput.value = action.defaultTrigger;
      renderFields();
      checkTrigger();
      previewMappings();
    });

    async function save(event) {
      event.preventDefault();
      clearErrors(form);
      const settingsOut = {};
      let bad = false;
      for (const [key, { input }] of mappingInputs) {
        if (!input.value.trim()) continue;
        const parsed = parseJSON(input.value);
        if (parsed.ok) settingsOut[key] = parsed.value;
        else bad = showError(form, input.name, parsed.message) || true;
      }
      if (!nameInput.value.trim()) bad = showError(form, 'name', 'A subscription needs a name.') || true;
      if (bad) return form.querySelector('[aria-invalid="true"]')?.focus();
      const body = { name: nameInput.value.trim(), trigger: triggerInput.value, enabled: enabledInput.checked, settings: settingsOut };
      await submitting(form, errorField, async () => {
        if (creating) {
          const answer = await post(subsPath, { ...body, actionId: actionSelect.value });
          notice(`Created the subscription “${answer.data.destinationSubscription.name}”.`);
        } else {
          await patch(`${subsPath}/${encodeURIComponent(sub.id)}`, { input: body });
          notice(`Saved the subscription “${body.name}”.`);
        }
        close();
        await load();
      });
    }

    function close() {
      cleanup();
      replace(editorBox);
    }

    cleanup = () => {
      checkSoon.cancel();
      previewSoon.cancel();
      triggerSeq++;
      previewSeq++;
    };

    renderFields();
    replace(editorBox, form);
    form.querySelector('h2').focus();
    checkTrigger();
    previewMappings();
    loadLog();
  }

  await load();
  return () => cleanup();
}
