// #/destinations/{id}/filters: the destination's filters (list, create, edit, enable, delete) and their preview:
// POST /destination/filters/preview runs a filter on a sample payload and answers what the destination would get
// (nothing, when the filter drops it). The preview changes nothing, so a read-only token may use it too.

import { ApiError, del, get, patch, post, query, session } from './api.js';
import { clearErrors, clearField, debounce, field, h, notice, parseJSON, pretty, replace, rowActions, savingSwitch, showError, submitting, table } from './ui.js';
import { defaultSampleEvent, destinationHeader } from './subscriptions.js';

/** Starting points for a filter's actions (the JSON textarea takes any list of actions). */
const TEMPLATES = [
  ['Drop the event', [{ type: 'DROP' }]],
  ['Keep a sample (10 %)', [{ type: 'SAMPLE', percent: 0.1 }]],
  ['Keep a sample of users (10 %, by userId)', [{ type: 'SAMPLE', percent: 0.1, path: 'userId' }]],
  ['Drop properties', [{ type: 'DROP_PROPERTIES', fields: { properties: ['email'], context: ['ip'] } }]],
  ['Allow only some properties', [{ type: 'ALLOW_PROPERTIES', fields: { properties: ['revenue', 'currency'] } }]],
];

/** A filter's actions in words: "Drop", "Sample 10 % by userId", "Drop properties.email, context.ip". */
export function describeActions(actions) {
  return (actions || [])
    .map((a) => {
      const keys = (fields) =>
        Object.entries(fields || {})
          .flatMap(([obj, list]) => (list || []).map((k) => (obj ? `${obj}.${k}` : k)))
          .join(', ');
      switch (a.type) {
        case 'DROP':
          return 'Drop';
        case 'SAMPLE':
          return `Sample ${Math.round((a.percent ?? 0) * 1000) / 10} %${a.path ? ` by ${a.path}` : ''}`;
        case 'DROP_PROPERTIES':
          return `Drop ${keys(a.fields)}`;
        case 'ALLOW_PROPERTIES':
          return `Allow only ${keys(a.fields)}`;
        default:
          return a.type;
      }
    })
    .join('; ');
}

const errorField = (f) => (f.startsWith('actions') ? 'actions' : f.startsWith('filter.') ? errorField(f.slice(7)) : f);

export async function render(main, { id }) {
  const readOnly = session.readOnly();
  const destination = (await get(`/destinations/${encodeURIComponent(id)}`)).data.destination;
  const name = destination.name || (destination.metadata && destination.metadata.name) || id;
  const base = `/destination/${encodeURIComponent(id)}/filters`;
  const listBox = h('div', { class: 'filters-list' });
  const editorBox = h('div', { class: 'filters-editor' });
  let cleanup = () => {};
  let filters = [];

  replace(
    main,
    destinationHeader(destination, 'filters', 'Filters'),
    h('p', { class: 'hint' }, 'A filter drops events, a sample of them, or some of their properties before they reach this destination (at most 10 filters).'),
    h(
      'div',
      { class: 'row' },
      readOnly ? null : h('button', { type: 'button', class: 'primary', onclick: () => openEditor(null) }, 'New filter'),
      h('button', { type: 'button', onclick: () => openEditor(null, true) }, 'Try a filter'),
      readOnly ? h('span', { class: 'badge' }, 'Read-only: filters can be previewed, not changed.') : null,
    ),
    listBox,
    editorBox,
  );

  async function load() {
    filters = (await get(`${base}${query({ 'pagination.count': 10 })}`)).data.filters || [];
    replace(
      listBox,
      table(
        `Filters of ${name}`,
        [
          { label: 'Title', cell: (f) => h('span', {}, f.title, f.description ? h('span', { class: 'hint block' }, f.description) : null) },
          { label: 'If', cell: (f) => h('code', {}, f.if) },
          { label: 'Then', cell: (f) => describeActions(f.actions) },
          {
            label: 'Enabled',
            cell: (f) => (readOnly ? h('span', { class: `badge ${f.enabled ? 'ok' : ''}` }, f.enabled ? 'enabled' : 'disabled') : enabledSwitch(f)),
          },
          {
            label: 'Actions',
            cell: (f) =>
              rowActions({
                title: f.title,
                what: `the filter “${f.title}”`,
                openLabel: readOnly ? 'Preview' : 'Edit',
                open: () => openEditor(f),
                readOnly,
                question: `Delete the filter “${f.title}”?`,
                remove: () => del(`${base}/${encodeURIComponent(f.id)}`),
                reload: load,
              }),
          },
        ],
        filters,
        'No filters: every event routed here goes to the subscriptions.',
      ),
    );
  }

  function enabledSwitch(f) {
    return savingSwitch(`The filter “${f.title}”`, f.enabled, async (on) => {
      const answer = await patch(`${base}/${encodeURIComponent(f.id)}`, { enabled: on });
      f.enabled = answer.data.filter.enabled;
      return f.enabled;
    });
  }

  /** The editor (or, for a read-only token or "Try a filter", a preview-only form). */
  function openEditor(filter, tryOnly = false) {
    cleanup();
    const creating = !filter;
    const editable = !readOnly && !tryOnly;
    const titleInput = h('input', { type: 'text', name: 'title', value: filter ? filter.title : '', autocomplete: 'off', readonly: !editable });
    const descInput = h('input', { type: 'text', name: 'description', value: filter ? filter.description || '' : '', autocomplete: 'off', readonly: !editable });
    const enabledInput = h('input', { type: 'checkbox', name: 'enabled', checked: filter ? filter.enabled : true, disabled: !editable });
    const ifInput = h('textarea', { name: 'if', rows: 2, class: 'code', spellcheck: 'false', value: filter ? filter.if : 'type = "track" and contains(userId, "test")' });
    const actionsInput = h('textarea', { name: 'actions', rows: 5, class: 'code', spellcheck: 'false', value: pretty(filter ? filter.actions : [{ type: 'DROP' }]) });
    const template = h(
      'select',
      { name: 'template' },
      h('option', { value: '' }, 'Start from…'),
      TEMPLATES.map(([label], i) => h('option', { value: String(i) }, label)),
    );
    template.addEventListener('change', () => {
      if (!template.value) return;
      actionsInput.value = pretty(TEMPLATES[Number(template.value)][1]);
      template.value = '';
      previewSoon();
    });
    const payloadInput = h('textarea', { name: 'payload', rows: 10, class: 'code', spellcheck: 'false', value: pretty({ ...defaultSampleEvent(), userId: 'test-42' }) });
    const result = h('div', { class: 'filter-result', role: 'status', 'aria-live': 'polite', 'data-state': 'idle' });

    const heading = creating ? (tryOnly || readOnly ? 'Try a filter' : 'New filter') : editable ? `Edit “${filter.title}”` : `Filter “${filter.title}”`;
    const form = h(
      'form',
      { class: 'card editor', onsubmit: save, novalidate: true },
      h('h2', { tabindex: '-1' }, heading),
      h('p', { class: 'form-error', role: 'alert', hidden: true }),
      h(
        'div',
        { class: 'editor-grid' },
        h(
          'div',
          {},
          editable || filter ? field('Title', titleInput, { required: editable }) : null,
          editable || (filter && filter.description) ? field('Description', descInput) : null,
          editable ? h('div', { class: 'field' }, h('label', { class: 'check' }, enabledInput, ' Enabled')) : null,
          field('If (FQL)', ifInput, { hint: 'Which events the actions apply to, e.g. type = "track" and event = "Test", or all.', required: true }),
          field('Then (actions, JSON)', actionsInput, { hint: 'A list of DROP, SAMPLE {percent, path?}, DROP_PROPERTIES {fields} or ALLOW_PROPERTIES {fields}.', required: true }),
          field('Actions template', template, { hint: 'Replaces the actions above.' }),
        ),
        h(
          'div',
          {},
          field('Sample payload (JSON)', payloadInput, { hint: 'The preview runs the filter on this event.' }),
          h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => runPreview() }, 'Preview')),
          result,
        ),
      ),
      h(
        'div',
        { class: 'row' },
        editable ? h('button', { type: 'submit', class: 'primary' }, creating ? 'Create filter' : 'Save changes') : null,
        h('button', { type: 'button', onclick: close }, 'Close'),
      ),
    );

    function readForm() {
      const actions = parseJSON(actionsInput.value);
      const payload = parseJSON(payloadInput.value);
      return { actions, payload };
    }

    let seq = 0;
    function show(state, ...children) {
      result.dataset.state = state;
      result.className = `filter-result ${state}`;
      replace(result, children);
    }
    async function runPreview() {
      const mine = ++seq;
      const { actions, payload } = readForm();
      for (const name of ['if', 'actions', 'payload']) clearField(form, name);
      if (!actions.ok) return (showError(form, 'actions', actions.message), show('error', 'Fix the actions to preview.'));
      if (!payload.ok) return (showError(form, 'payload', payload.message), show('error', 'Fix the sample payload to preview.'));
      show('busy', 'Previewing…');
      try {
        const answer = await post('/destination/filters/preview', { filter: { if: ifInput.value, actions: actions.value }, payload: payload.value });
        if (mine !== seq) return undefined;
        const out = answer.data.result;
        if (out === null || out === undefined) return show('dropped', h('p', {}, h('strong', {}, 'Dropped: '), 'the destination would not get this event.'));
        const same = JSON.stringify(out) === JSON.stringify(answer.data.inputPayload);
        return show(
          same ? 'kept' : 'changed',
          h('p', {}, h('strong', {}, same ? 'Kept unchanged: ' : 'Kept, changed: '), same ? 'the destination gets the event as sent.' : 'the destination gets this:'),
          same ? null : h('pre', {}, pretty(out)),
        );
      } catch (e) {
        if (mine !== seq) return undefined;
        if (e instanceof ApiError && e.status === 422) {
          const rest = [];
          for (const err of e.errors) {
            const f = (err.field || '').replace(/^filter\./, '');
            const target = f === 'if' ? 'if' : f.startsWith('actions') ? 'actions' : f === 'payload' ? 'payload' : null;
            if (!(target && showError(form, target, err.message))) rest.push(err.message);
          }
          return show('error', `Cannot preview: ${rest.join(' ') || 'see the message at the field.'}`);
        }
        return show('error', `Cannot preview: ${e.message}`);
      }
    }
    const previewSoon = debounce(runPreview, 400);
    for (const input of [ifInput, actionsInput, payloadInput]) input.addEventListener('input', previewSoon);

    async function save(event) {
      event.preventDefault();
      if (!editable) return;
      clearErrors(form);
      const { actions } = readForm();
      if (!actions.ok) return (showError(form, 'actions', actions.message), actionsInput.focus());
      if (!titleInput.value.trim()) return (showError(form, 'title', 'A filter needs a title.'), titleInput.focus());
      const body = { title: titleInput.value.trim(), if: ifInput.value, actions: actions.value, enabled: enabledInput.checked };
      const description = descInput.value.trim();
      await submitting(form, errorField, async () => {
        if (creating) {
          await post(base, { ...body, sourceId: destination.sourceId, ...(description ? { description } : {}) });
          notice(`Created the filter “${body.title}”.`);
        } else {
          await patch(`${base}/${encodeURIComponent(filter.id)}`, { ...body, description: description || null });
          notice(`Saved the filter “${body.title}”.`);
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
      previewSoon.cancel();
      seq++;
    };

    replace(editorBox, form);
    form.querySelector('h2').focus();
    runPreview();
  }

  await load();
  return () => cleanup();
}

