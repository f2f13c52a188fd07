// Destinations: the list with a search and an enabled switch each; adding one from the catalog (search, then a
// settings form generated from the catalog entry's options); one destination's page (its settings form, the switch,
// delete, and tabs to its subscriptions, filters and delivery).

import { all, del, get, patch, post, session } from './api.js';
import { clearErrors, confirmButton, facts, field, focusFirstError, h, navigate, notice, replace, savingSwitch, showError, submitting, table, uid } from './ui.js';
import { checkField, stateBadge } from './sources.js';

const enc = encodeURIComponent;
const displayName = (d) => d.name || (d.metadata && d.metadata.name) || d.id;
const isActions = (entry) => Boolean(entry && entry.actions && entry.actions.length);

// ---------------------------------------------------------------------------------------------------------------
// The list.

function enabledControl(destination) {
  if (session.readOnly()) return stateBadge(destination.enabled);
  const name = displayName(destination);
  return savingSwitch(name, destination.enabled, async (on) => {
    const answer = await patch(`/destinations/${enc(destination.id)}`, { enabled: on });
    destination.enabled = answer.data.destination.enabled;
    return destination.enabled;
  });
}

export async function list(main) {
  const [destinations, sources] = await Promise.all([all('/destinations', 'destinations'), all('/sources', 'sources')]);
  const sourceNames = new Map(sources.map((s) => [s.id, s.name || s.slug]));
  const rows = destinations.slice().sort((a, b) => displayName(a).localeCompare(displayName(b)));
  const search = h('input', { type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'false' });
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const results = h('div', {});
  const columns = [
    { label: 'Name', cell: (d) => h('a', { href: `#/destinations/${enc(d.id)}` }, displayName(d)) },
    { label: 'Catalog destination', cell: (d) => (d.metadata && d.metadata.name) || '' },
    { label: 'Source', cell: (d) => (d.sourceId ? h('a', { href: `#/sources/${enc(d.sourceId)}` }, sourceNames.get(d.sourceId) || d.sourceId) : '') },
    { label: 'Enabled', cell: (d) => enabledControl(d) },
  ];
  function render() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shown = rows.filter((d) => {
      const text = [d.name, d.id, d.metadata && d.metadata.name, d.metadata && d.metadata.slug].join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    count.textContent = words.length ? `${shown.length} of ${rows.length} destinations match.` : `${rows.length} destination${rows.length === 1 ? '' : 's'}.`;
    replace(results, table('Destinations', columns, shown, rows.length ? 'No destination matches.' : 'No destinations yet.'));
  }
  search.addEventListener('input', render);
  render();
  replace(
    main,
    h('div', { class: 'heading' }, h('h1', {}, 'Destinations'), session.readOnly() ? null : h('a', { class: 'button primary', href: '#/destinations/new' }, 'Add a destination')),
    session.readOnly() ? h('p', { class: 'hint' }, 'Signed in with a read-only token: destinations can be seen, not changed.') : null,
    h('div', { class: 'toolbar' }, field('Search destinations', search, { hint: 'By name, id or catalog name.' })),
    count,
    results,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Adding one: the catalog search, then the form.

let catalogCache = null;
function catalog() {
  if (!catalogCache) catalogCache = all('/catalog/destinations', 'destinationsCatalog', 5000).catch((e) => ((catalogCache = null), Promise.reject(e)));
  return catalogCache;
}

let deliveredCache = null;
/** The catalog ids Sluice delivers to (GET /sluice/integrations), as a Set. */
function delivered() {
  if (!deliveredCache)
    deliveredCache = get('/sluice/integrations')
      .then((a) => new Set(a.data.integrations.map((i) => i.metadataId)))
      .catch((e) => ((deliveredCache = null), Promise.reject(e)));
  return deliveredCache;
}

function deliveryBadge(deliversTo, entry) {
  return deliversTo.has(entry.id) ? h('span', { class: 'badge ok' }, 'Sluice delivers') : h('span', { class: 'badge' }, 'configured only');
}

const MAX_RESULTS = 50;

export async function create(main, { query }) {
  if (session.readOnly()) {
    replace(main, h('h1', {}, 'Add a destination'), h('p', {}, 'Signed in with a read-only token: destinations cannot be added.'));
    return;
  }
  const metadataId = query.get('metadataId');
  if (metadataId) return createForm(main, metadataId, query.get('sourceId'));
  const [catalogEntries, deliversTo] = await Promise.all([catalog(), delivered()]);
  const entries = catalogEntries.slice().sort((a, b) => a.name.localeCompare(b.name));
  const search = h('input', { type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'false', value: query.get('q') || '' });
  const onlyDelivered = h('input', { type: 'checkbox', name: 'delivered', id: uid('delivered'), onchange: () => render() });
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const results = h('div', {});
  const sourceId = query.get('sourceId');
  const choose = (e) => `#/destinations/new?metadataId=${enc(e.id)}${sourceId ? `&sourceId=${enc(sourceId)}` : ''}`;
  const columns = [
    { label: 'Destination', cell: (e) => h('a', { href: choose(e), 'aria-label': `Choose ${e.name}` }, e.name) },
    { label: 'Categories', cell: (e) => (e.categories || []).join(', ') },
    { label: 'Kind', cell: (e) => kindBadge(e) },
    { label: 'Delivery', cell: (e) => deliveryBadge(deliversTo, e) },
  ];
  function render() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const hits = entries.filter((e) => {
      const text = [e.name, e.slug, e.id, ...(e.categories || []), ...(e.previousNames || [])].join(' ').toLowerCase();
      return words.every((w) => text.includes(w)) && (!onlyDelivered.checked || deliversTo.has(e.id));
    });
    count.textContent =
      hits.length > MAX_RESULTS
        ? `${hits.length} destinations match; the first ${MAX_RESULTS} are shown: narrow the search.`
        : `${hits.length} destination${hits.length === 1 ? ' matches' : 's match'}.`;
    replace(results, table('Catalog destinations', columns, hits.slice(0, MAX_RESULTS), 'No catalog destination matches.'));
  }
  search.addEventListener('input', render);
  render();
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, 'Destinations'), ' / Add'),
    h('h1', {}, 'Add a destination'),
    h(
      'p',
      { class: 'hint' },
      'Every catalog destination can be configured, as at Segment; Actions destinations take subscriptions. Sluice delivers events to those marked “Sluice delivers”; the others are saved and receive no events.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      field('Search the catalog', search, { hint: 'By name, slug or category.' }),
      checkField('Only destinations Sluice delivers to', onlyDelivered),
    ),
    count,
    results,
  );
  search.focus();
}

function kindBadge(entry) {
  return [
    h('span', { class: 'badge' }, isActions(entry) ? 'Actions' : 'Classic'),
    entry.status === 'PUBLIC_BETA' ? [' ', h('span', { class: 'badge warn' }, 'beta')] : null,
  ];
}

async function createForm(main, metadataId, sourceId) {
  const [entry, sources, deliversTo] = await Promise.all([
    get(`/catalog/destinations/${enc(metadataId)}`).then((a) => a.data.destinationMetadata),
    all('/sources', 'sources'),
    delivered(),
  ]);
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, 'Destinations'), ' / ', h('a', { href: '#/destinations/new' }, 'Add'), ' / ', entry.name);
  if (!sources.length) {
    replace(main, crumbs, h('h1', {}, `Add ${entry.name}`), h('p', {}, 'A destination belongs to a source, and there is none yet. ', h('a', { href: '#/sources' }, 'Add a source first.')));
    return;
  }
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off', value: entry.name });
  const source = h(
    'select',
    { name: 'sourceId' },
    sources
      .slice()
      .sort((a, b) => (a.name || a.slug).localeCompare(b.name || b.slug))
      .map((s) => h('option', { value: s.id, selected: s.id === sourceId }, `${s.name || s.slug} (${s.slug})`)),
  );
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true, id: uid('enabled') });
  const settings = settingsFields(entry.options || [], null);
  const submitButton = h('button', { type: 'submit', class: 'primary' }, 'Create destination');
  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: submit },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('Name', name),
    field('Source', source, { required: true }),
    checkField('Enabled', enabled, { hint: 'A disabled destination takes no events; required settings are checked when it is enabled.' }),
    settings.fieldset,
    submitButton,
  );
  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const collected = checkedSettings(form, settings);
    if (!collected) return;
    const body = { sourceId: source.value, metadataId: entry.id, enabled: enabled.checked, settings: collected.settings };
    if (name.value.trim()) body.name = name.value.trim();
    await submitting(form, controlName, async () => {
      const answer = await post('/destinations', body);
      const created = answer.data.destination;
      navigate(`#/destinations/${enc(created.id)}`, `Created ${displayName(created)}.`);
    });
  }
  replace(
    main,
    crumbs,
    h('h1', {}, `Add ${entry.name}`),
    facts([
      ['Categories', (entry.categories || []).join(', ') || '—'],
      ['Kind', kindBadge(entry)],
      ['Delivery', deliveryBadge(deliversTo, entry)],
      ['Catalog id', h('code', {}, entry.id)],
    ]),
    form,
  );
}

/** The form control a server error's `field` names: `settings.apiKey` (or deeper) → `settings.apiKey`; `name` → `name`. */
/** The settings form's values, or null after showing each invalid one at its control (focus on the first). */
function checkedSettings(form, settings) {
  const collected = settings.collect();
  if (!collected.invalid.length) return collected;
  for (const [control, message] of collected.invalid) showError(form, control, message);
  focusFirstError(form);
  return null;
}

function controlName(fieldPath) {
  const parts = fieldPath.split('.');
  return parts[0] === 'settings' && parts.length > 1 ? `settings.${parts[1]}` : parts[0];
}

// ---------------------------------------------------------------------------------------------------------------
// The settings form, from the catalog entry's options.

// Sluice's secret names (SluiceCore DestinationSettings.secretNames): lower case, without "_" and "-".
const SECRET_NAMES = new Set([
  'accesskey', 'accesstoken', 'apikey', 'apikeysecret', 'apipassword', 'apisecret', 'apitoken', 'authkey', 'authpassword', 'authsecret',
  'authtoken', 'bearertoken', 'clientsecret', 'oauthclientsecret', 'password', 'privatekey', 'privatetoken', 'refreshtoken', 'secret',
  'secretaccesskey', 'secretkey', 'securitytoken', 'servertoken', 'sharedsecret', 'token', 'writekey',
]);
const MASK = '\u2022'.repeat(10);

/** Whether Sluice masks a setting: catalog type `password`, or one of the usual secret names (README, "Secrets"). */
export function isSecret(option) {
  return (option.type || '').toLowerCase() === 'password' || SECRET_NAMES.has(option.name.toLowerCase().replace(/[_-]/g, ''));
}
const isMasked = (value) => typeof value === 'string' && value.startsWith(MASK);
const isReadOnlyOption = (option) => /\(Read-Only\)\s*$/.test(option.label || '');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** What a control's reader answers when its text is not a value of its type. */
class Invalid {
  constructor(message) {
    this.message = message;
  }
}

function kindOf(option, value) {
  if (isSecret(option)) return 'secret';
  switch ((option.type || '').toLowerCase()) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
    case 'select':
    case 'color':
    case 'text':
      return typeof value === 'string' || value === undefined || value === null ? 'string' : 'json';
    case 'array':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? 'list' : value === '' || value === undefined ? 'list' : 'json';
    default: // map, text-map, mixed, and whatever a future catalog adds
      return 'json';
  }
}

/**
 * The fields of a settings form. `current` is the destination's settings as the API answers them (secrets masked),
 * or null when creating. `collect()` answers {settings, invalid: [[controlName, message]]}: when creating, every
 * value that is set and differs from the catalog default; when editing, every value that changed (a secret left
 * empty is not sent, so Sluice keeps it; read-only options are never sent).
 */
function settingsFields(options, current) {
  const editing = current !== null;
  const readers = [];
  const nodes = options.map((option) => {
    const original = editing && option.name in current ? current[option.name] : option.defaultValue;
    const kind = kindOf(option, original);
    const controlName = `settings.${option.name}`;
    const readOnly = isReadOnlyOption(option);
    const hints = [];
    if (option.description) hints.push(option.description);
    let control;
    let read;
    switch (kind) {
      case 'boolean':
        control = h('input', { type: 'checkbox', name: controlName, id: uid('opt'), checked: Boolean(original), disabled: readOnly });
        read = () => control.checked;
        break;
      case 'number':
        control = h('input', { type: 'number', step: 'any', name: controlName, value: original === null || original === undefined ? '' : String(original), disabled: readOnly });
        read = () => {
          if (control.value.trim() === '') return control.validity.badInput ? new Invalid('Enter a number.') : undefined;
          const n = Number(control.value);
          return Number.isFinite(n) ? n : new Invalid('Enter a number.');
        };
        break;
      case 'secret':
        control = h('input', { type: 'password', name: controlName, autocomplete: 'new-password', spellcheck: 'false', value: '', disabled: readOnly });
        if (editing && original !== '' && original !== null && original !== undefined) {
          hints.push(h('span', {}, 'Stored as ', h('code', { class: 'masked' }, String(original)), '. Type a new value to replace it; leave it empty to keep it.'));
        } else hints.push('A secret: Sluice shows it masked once saved.');
        read = () => (control.value === '' ? undefined : control.value);
        break;
      case 'list':
        control = h('textarea', { name: controlName, rows: 3, spellcheck: 'false', value: Array.isArray(original) ? original.join('\n') : '', disabled: readOnly });
        hints.push('One value a line.');
        read = () => control.value.split('\n').map((s) => s.trim()).filter(Boolean);
        break;
      case 'json':
        control = h('textarea', { name: controlName, rows: 4, spellcheck: 'false', value: original === undefined ? '' : JSON.stringify(original, null, 2), disabled: readOnly });
        hints.push(`JSON${option.type === 'text-map' || option.type === 'map' ? ' object, e.g. {"key": "value"}' : ''}.`);
        read = () => {
          if (control.value.trim() === '') return undefined;
          try {
            return JSON.parse(control.value);
          } catch (e) {
            return new Invalid(`Not valid JSON: ${e.message}`);
          }
        };
        break;
      default:
        control = h('input', { type: 'text', name: controlName, autocomplete: 'off', spellcheck: 'false', value: original === null || original === undefined ? '' : String(original), disabled: readOnly });
        if (option.type === 'select') hints.push(`One of the vendor's choices${option.defaultValue ? ` (default: ${option.defaultValue})` : ''}.`);
        read = () => control.value;
    }
    if (readOnly) hints.push('Read-only: Sluice keeps the catalog default.');
    else readers.push({ option, kind, controlName, original, read });
    const hint = hints.length ? hints.flatMap((x, i) => (i ? [' ', x] : [x])) : undefined;
    const label = option.label || option.name;
    if (kind === 'boolean') return checkField(label, control, { hint });
    return field(label, control, { hint, required: option.required && !readOnly });
  });
  const fieldset = h(
    'fieldset',
    { class: 'settings' },
    h('legend', {}, 'Settings'),
    nodes.length ? nodes : h('p', { class: 'empty' }, 'This destination has no settings.'),
  );
  // field() marks required controls `required`; the form is novalidate, so Sluice's message says what is missing.
  function collect() {
    const settings = {};
    const invalid = [];
    for (const r of readers) {
      const value = r.read();
      if (value instanceof Invalid) {
        invalid.push([r.controlName, value.message]);
        continue;
      }
      if (value === undefined) continue;
      if (editing) {
        if (r.kind === 'secret' && isMasked(value)) continue;
        if (!same(value, r.original)) settings[r.option.name] = value;
      } else if (value !== '' && !same(value, r.option.defaultValue)) settings[r.option.name] = value;
    }
    return { settings, invalid };
  }
  return { fieldset, collect };
}

// ---------------------------------------------------------------------------------------------------------------
// One destination.

/** The tabs of a destination's pages; `current` is 'settings', 'subscriptions', 'filters' or 'delivery'. */
export function destinationTabs(destination, current) {
  const id = enc(destination.id);
  const tabs = [
    ['settings', `#/destinations/${id}`, 'Settings'],
    isActions(destination.metadata) ? ['subscriptions', `#/destinations/${id}/subscriptions`, 'Subscriptions'] : null,
    ['filters', `#/destinations/${id}/filters`, 'Filters'],
    ['delivery', `#/destinations/${id}/delivery`, 'Delivery'],
  ].filter(Boolean);
  return h(
    'nav',
    { class: 'tabs', 'aria-label': `${displayName(destination)}: pages` },
    tabs.map(([key, href, label]) => h('a', { href, 'aria-current': key === current ? 'page' : false }, label)),
  );
}

export async function detail(main, { id }) {
  const destination = (await get(`/destinations/${enc(id)}`)).data.destination;
  let source = null;
  if (destination.sourceId) {
    try {
      source = (await get(`/sources/${enc(destination.sourceId)}`)).data.source;
    } catch {
      source = null; // gone, or not readable: the id is shown instead
    }
  }
  renderDetail(main, destination, source);
}

function renderDetail(main, destination, source) {
  const entry = destination.metadata || {};
  const name = displayName(destination);
  const readOnly = session.readOnly();
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, 'Destinations'), ' / ', name),
    h('h1', {}, name),
    destinationTabs(destination, 'settings'),
    facts([
      ['ID', h('code', {}, destination.id)],
      ['Catalog destination', [entry.name || '', ' ', kindBadge(entry), entry.categories && entry.categories.length ? h('span', { class: 'hint' }, ` ${entry.categories.join(', ')}`) : null]],
      ['Source', destination.sourceId ? h('a', { href: `#/sources/${enc(destination.sourceId)}` }, source ? source.name || source.slug : destination.sourceId) : '—'],
      ['Enabled', enabledControl(destination)],
    ]),
    h('h2', {}, 'Configuration'),
    readOnly ? h('p', { class: 'hint' }, 'Signed in with a read-only token: the settings can be seen, not changed.') : null,
    readOnly ? settingsList(entry.options || [], destination.settings || {}) : editForm(main, destination, source),
    otherSettings(entry.options || [], destination.settings || {}),
    readOnly
      ? null
      : h(
          'section',
          { class: 'danger-zone', 'aria-labelledby': 'delete-heading' },
          h('h2', { id: 'delete-heading' }, 'Delete'),
          h('p', {}, 'Deleting a destination removes its subscriptions and filters; events are no longer delivered to it.'),
          confirmButton('Delete destination', `Delete ${name}? This cannot be undone.`, `Delete ${name}`, async () => {
            try {
              await del(`/destinations/${enc(destination.id)}`);
              navigate('#/destinations', `Deleted ${name}.`);
            } catch (e) {
              notice(`${name} could not be deleted: ${e.message}`, 'error');
            }
          }),
        ),
  );
}

function editForm(main, destination, source) {
  const entry = destination.metadata || {};
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off', value: destination.name || '' });
  const settings = settingsFields(entry.options || [], destination.settings || {});
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: submit },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('Name', name),
    settings.fieldset,
    save,
  );
  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const collected = checkedSettings(form, settings);
    if (!collected) return;
    const body = {};
    if (name.value.trim() !== (destination.name || '')) body.name = name.value.trim();
    if (Object.keys(collected.settings).length) body.settings = collected.settings;
    if (!Object.keys(body).length) {
      notice('Nothing changed.');
      return;
    }
    await submitting(form, controlName, async () => {
      const answer = await patch(`/destinations/${enc(destination.id)}`, body);
      renderDetail(main, answer.data.destination, source);
      main.focus();
      notice(`Saved ${displayName(answer.data.destination)}.`);
    });
  }
  return form;
}

/** The settings as a read-only list (a read-only token): secrets as the API masks them. */
function settingsList(options, settings) {
  if (!options.length) return h('p', { class: 'empty' }, 'This destination has no settings.');
  return facts(
    options.map((o) => {
      const value = o.name in settings ? settings[o.name] : o.defaultValue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return [o.label || o.name, text === '' || text === undefined ? h('span', { class: 'empty' }, '(empty)') : h('code', {}, text)];
    }),
  );
}

/** Settings the destination has that its catalog entry does not list (kept as they are; not editable here). */
function otherSettings(options, settings) {
  const known = new Set(options.map((o) => o.name));
  const extra = Object.keys(settings).filter((k) => !known.has(k));
  if (!extra.length) return null;
  return h(
    'details',
    { class: 'other-settings' },
    h('summary', {}, `${extra.length} setting${extra.length === 1 ? '' : 's'} not in the catalog entry`),
    facts(extra.map((k) => [k, h('code', {}, typeof settings[k] === 'string' ? settings[k] : JSON.stringify(settings[k]))])),
  );
}
