// Small DOM helpers. Everything is built with createElement and textContent, never by parsing markup, so nothing a server or a
// user typed is ever read as markup.

/**
 * An element: h('button', {class: 'primary', onclick: fn, 'aria-label': 'x'}, 'Save').
 * Attributes whose value is false, null or undefined are left out; `true` sets an empty attribute; `on…` functions
 * are listeners; children may be strings, numbers, elements, arrays of them, or null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag) ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' && 'checked' in el) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['g', 'path', 'line', 'rect', 'circle', 'text', 'polyline', 'title', 'desc']);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the contents of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
/** A unique id for label/for pairs. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/**
 * A labelled control with a place for its error: field('Name', input, {hint}). The input gets an id and
 * aria-describedby; `showError(form, name, message)` finds it by its name attribute.
 */
export function field(label, control, { hint, required } = {}) {
  const id = control.id || uid();
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (required) control.required = true;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'error', id: errorId, role: 'alert', hidden: true }),
  );
}

/** Shows `message` under the control named `name` in `form` (or at the form's top when none matches). */
export function showError(form, name, message) {
  const control = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  const box = control ? document.getElementById(`${control.id}-error`) : form.querySelector('.form-error');
  if (!box) return false;
  box.textContent = message;
  box.hidden = false;
  delete box.dataset.by; // the form's error, not a preview's (subscriptions.js)
  if (control) control.setAttribute('aria-invalid', 'true');
  return true;
}

/** Clears every error shown in `form`. */
export function clearErrors(form) {
  for (const box of form.querySelectorAll('.error, .form-error')) {
    box.textContent = '';
    box.hidden = true;
  }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/**
 * Shows an ApiError in `form`: each error at the field it names (`fieldName` maps the server's field to the
 * control's name; by default the last part of a dotted path), the rest at the form's top (`.form-error`).
 */
export function showApiError(form, error, fieldName = (f) => f) {
  clearErrors(form);
  const rest = [];
  for (const e of error.errors || [{ message: error.message }]) {
    const name = e.field ? fieldName(e.field) : null;
    if (!(name && showError(form, name, e.message))) rest.push(e.message);
  }
  if (rest.length) showError(form, null, rest.join(' '));
}

/** Moves focus to the first control `form` marks invalid, or brings the form's top error into view. */
export function focusFirstError(form) {
  const bad = form.querySelector('[aria-invalid="true"]');
  if (bad) bad.focus();
  else {
    const top = form.querySelector('.form-error:not([hidden])');
    if (top) top.scrollIntoView({ block: 'nearest' });
  }
}

/** Clears the error shown under the control named `name` in `form`. */
export function clearField(form, name) {
  const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!control) return;
  control.removeAttribute('aria-invalid');
  const box = document.getElementById(`${control.id}-error`);
  if (box) {
    box.textContent = '';
    box.hidden = true;
  }
}

/**
 * Runs `work` (a form's save) with its submit button disabled; a refusal is shown at the fields the server names
 * (`fieldName` as for showApiError), and focus goes to the first of them.
 */
export async function submitting(form, fieldName, work) {
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    showApiError(form, e, fieldName);
    focusFirstError(form);
  } finally {
    button.disabled = false;
  }
}

/** `text` read as JSON: {ok: true, value} or {ok: false, message}. */
export function parseJSON(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e.message}` };
  }
}

/** A message in the page's status line; `kind` is 'ok' or 'error'. */
export function notice(message, kind = 'ok') {
  const box = document.getElementById('notice');
  replace(box, message ? h('p', { class: `notice ${kind}` }, message) : null);
}

/** A table: columns [{label, cell: (row) => node|string}], with a caption for screen readers. */
export function table(caption, columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r)))))),
  );
}

/** The same time everywhere: local, to the second. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A switch (a checkbox with role=switch) with a visible label. */
export function toggle(label, checked, onchange, { disabled } = {}) {
  const input = h('input', { type: 'checkbox', role: 'switch', checked, disabled, onchange: (e) => onchange(e.target.checked, e.target) });
  return h('label', { class: 'switch' }, input, ' ', label);
}

/**
 * An "Enabled" switch that saves at once: `save(on)` sends the change and answers the state the server kept, and the
 * page says "`name` is enabled"; when the server refuses, the switch goes back and the server's message is shown.
 * Its label names `name` for screen readers.
 */
export function savingSwitch(name, checked, save) {
  return toggle(['Enabled', h('span', { class: 'visually-hidden' }, ` (${name})`)], checked, async (on, input) => {
    input.disabled = true;
    try {
      const kept = await save(on);
      input.checked = kept;
      notice(`${name} is ${kept ? 'enabled' : 'disabled'}.`);
    } catch (e) {
      input.checked = !on;
      notice(`${name} could not be ${on ? 'enabled' : 'disabled'}: ${e.message}`, 'error');
    } finally {
      input.disabled = false;
    }
  });
}

/**
 * A row's actions: a button that opens the row (`openLabel`, named for `title`), and, unless `readOnly`, Delete
 * after a confirmation (`question`): `remove()` deletes it, then the page says so and `reload()` runs.
 */
export function rowActions({ title, what, openLabel, open, readOnly, question, remove, reload }) {
  return h(
    'div',
    { class: 'row' },
    h('button', { type: 'button', onclick: open, 'aria-label': `${openLabel} ${title}` }, openLabel),
    readOnly
      ? null
      : confirmButton('Delete', question, 'Delete it', async () => {
          try {
            await remove();
            notice(`Deleted ${what}.`);
            await reload();
          } catch (e) {
            notice(e.message, 'error');
          }
        }),
  );
}

/**
 * A "Copy" button for `text` (its aria-label names `what`): copies with the Clipboard API, or, where that is
 * refused, selects `target` (an element showing the text) so the person can copy it with their keyboard.
 */
export function copyButton(text, what, target) {
  return h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${what}`, onclick: copy }, 'Copy');
  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      notice(`Copied ${what}.`);
    } catch {
      if (target) window.getSelection().selectAllChildren(target);
      notice(`Selected ${what}: press Ctrl+C (⌘C) to copy it.`);
    }
  }
}

/**
 * A button that asks before acting: the first press shows "`question` [confirm] [Cancel]" in its place (focus
 * moves to Cancel), the confirm button runs `action`. Keyboard-usable, no dialog.
 */
export function confirmButton(label, question, confirmLabel, action) {
  const box = h('div', { class: 'confirm' });
  const start = h('button', { type: 'button', class: 'danger', onclick: ask }, label);
  function ask() {
    const cancel = h('button', { type: 'button', onclick: reset }, 'Cancel');
    replace(
      box,
      h('p', { role: 'alert' }, question),
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'danger', onclick: run }, confirmLabel), cancel),
    );
    cancel.focus();
  }
  async function run(event) {
    event.target.disabled = true;
    try {
      await action();
    } finally {
      event.target.disabled = false;
    }
  }
  function reset() {
    replace(box, start);
    start.focus();
  }
  replace(box, start);
  return box;
}

/** A definition list from [term, description] pairs (pairs whose description is null are left out). */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, d]) => d !== null && d !== undefined).map(([t, d]) => [h('dt', {}, t), h('dd', {}, d)]));
}

/** A function that runs `fn` once `ms` after the last of a burst of calls (typing, say); `.cancel()` drops a pending run. */
export function debounce(fn, ms = 300) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.cancel = () => clearTimeout(timer);
  return run;
}

/** JSON text, indented, for a <pre> or a textarea. */
export const pretty = (value) => JSON.stringify(value, null, 2);

/** Goes to `hash` (a console route, '#/...') and shows `message` there (the router clears the notice on each move). */
export function navigate(hash, message, kind = 'ok') {
  if (message) window.addEventListener('hashchange', () => notice(message, kind), { once: true });
  if (location.hash === hash) {
    if (message) notice(message, kind);
  } else location.hash = hash;
}
