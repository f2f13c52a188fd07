// Sources: the list (with a form to add one), and one source's page: its write keys, its switch and the
// destinations connected to it.

import { all, get, patch, post, session } from './api.js';
import { clearErrors, copyButton, facts, field, h, navigate, replace, savingSwitch, submitting, table } from './ui.js';

/** The switch that enables and disables a source (PATCH /sources/{id}), or a badge for a read-only token. */
function enabledControl(source, { onChange } = {}) {
  if (session.readOnly()) return stateBadge(source.enabled);
  const name = source.name || source.slug;
  return savingSwitch(name, source.enabled, async (on) => {
    const answer = await patch(`/sources/${encodeURIComponent(source.id)}`, { enabled: on });
    source.enabled = answer.data.source.enabled;
    if (onChange) onChange(source);
    return source.enabled;
  });
}

export function stateBadge(enabled) {
  return h('span', { class: `badge ${enabled ? 'ok' : 'warn'}` }, enabled ? 'enabled' : 'disabled');
}

/** A write key in a <code>, with its Copy button. */
function writeKey(key, sourceName) {
  const code = h('code', { class: 'key' }, key);
  return h('span', { class: 'keyline' }, code, ' ', copyButton(key, `the write key of ${sourceName}`, code));
}

export async function list(main) {
  const [sources, catalog] = await Promise.all([
    all('/sources', 'sources'),
    session.readOnly() ? Promise.resolve([]) : all('/catalog/sources', 'sourcesCatalog'),
  ]);
  const rows = sources.slice().sort((a, b) => (a.name || a.slug).localeCompare(b.name || b.slug));
  replace(
    main,
    h('h1', {}, 'Sources'),
    session.readOnly() ? h('p', { class: 'hint' }, 'Signed in with a read-only token: sources can be seen, not changed.') : createForm(catalog),
    h('h2', {}, `${rows.length} source${rows.length === 1 ? '' : 's'}`),
    table(
      'Sources',
      [
        { label: 'Name', cell: (s) => h('a', { href: `#/sources/${encodeURIComponent(s.id)}` }, s.name || s.slug) },
        { label: 'Slug', cell: (s) => h('code', {}, s.slug) },
        { label: 'Catalog source', cell: (s) => (s.metadata && s.metadata.name) || '' },
        { label: 'Write key', cell: (s) => (s.writeKeys || []).map((k) => writeKey(k, s.name || s.slug)) },
        { label: 'Enabled', cell: (s) => enabledControl(s) },
      ],
      rows,
      'No sources yet.',
    ),
  );
}

function createForm(catalog) {
  const sorted = catalog.slice().sort((a, b) => a.name.localeCompare(b.name));
  const slug = h('input', { type: 'text', name: 'slug', autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off' });
  const metadata = h(
    'select',
    { name: 'metadataId' },
    h('option', { value: '' }, 'Choose a catalog source…'),
    sorted.map((c) => h('option', { value: c.id }, `${c.name}${c.categories && c.categories.length ? ` (${c.categories.join(', ')})` : ''}`)),
  );
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true, id: 'source-enabled' });
  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: submit },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    field('Slug', slug, { required: true, hint: '1 to 100 lower-case letters, digits, "-" and "_".' }),
    field('Name', name, { hint: 'Optional; the slug when left empty.' }),
    field('Catalog source', metadata, { required: true }),
    checkField('Enabled', enabled),
    h('button', { type: 'submit', class: 'primary' }, 'Create source'),
  );
  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const body = { slug: slug.value.trim(), enabled: enabled.checked, metadataId: metadata.value };
    if (name.value.trim()) body.name = name.value.trim();
    await submitting(form, (f) => f.split('.')[0], async () => {
      const answer = await post('/sources', body);
      const created = answer.data.source;
      navigate(`#/sources/${encodeURIComponent(created.id)}`, `Created source ${created.name || created.slug}.`);
    });
  }
  return h('details', { class: 'create' }, h('summary', {}, 'Add a source'), form);
}

/** A checkbox with its label beside it, and an error slot `showError` finds. */
export function checkField(label, input, { hint } = {}) {
  const id = input.id;
  input.setAttribute('aria-describedby', `${id}-error`);
  return h(
    'div',
    { class: 'field check' },
    h('span', { class: 'row' }, input, h('label', { for: id }, label)),
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'error', id: `${id}-error`, role: 'alert', hidden: true }),
  );
}

export async function detail(main, { id }) {
  const path = `/sources/${encodeURIComponent(id)}`;
  const [source, connected] = await Promise.all([
    get(path).then((a) => a.data.source),
    all(`${path}/connected-destinations`, 'destinations'),
  ]);
  const name = source.name || source.slug;
  const enabledSlot = h('span', {});
  const render = () => replace(enabledSlot, enabledControl(source));
  render();
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/sources' }, 'Sources'), ' / ', name),
    h('h1', {}, name),
    facts([
      ['ID', h('code', {}, source.id)],
      ['Slug', h('code', {}, source.slug)],
      ['Catalog source', (source.metadata && source.metadata.name) || ''],
      ['Enabled', enabledSlot],
    ]),
    h('h2', {}, 'Write keys'),
    h('p', { class: 'hint' }, 'Applications send events to Sluice with a write key (Segment\'s Tracking API, /v1/track and the rest).'),
    (source.writeKeys || []).length
      ? h('ul', { class: 'keys' }, source.writeKeys.map((k) => h('li', {}, writeKey(k, name))))
      : h('p', { class: 'empty' }, 'No write key.'),
    h('h2', {}, 'Connected destinations'),
    table(
      `Destinations of ${name}`,
      [
        { label: 'Name', cell: (d) => h('a', { href: `#/destinations/${encodeURIComponent(d.id)}` }, d.name || (d.metadata && d.metadata.name) || d.id) },
        { label: 'Catalog destination', cell: (d) => (d.metadata && d.metadata.name) || '' },
        { label: 'Enabled', cell: (d) => stateBadge(d.enabled) },
      ],
      connected,
      'No destination is connected to this source.',
    ),
    session.readOnly()
      ? null
      : h('p', {}, h('a', { class: 'button', href: `#/destinations/new?sourceId=${encodeURIComponent(source.id)}` }, 'Add a destination to this source')),
  );
}
