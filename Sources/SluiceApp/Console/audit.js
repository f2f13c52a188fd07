// The audit trail: GET /audit-events, newest first, a page at a time, filtered by resource type and id. The filter
// and the page's cursor live in the hash (#/audit?resourceType=source&cursor=...), so Back returns to a page;
// `count` (1 to 200, default 50) is the page's size.

import { get, query } from './api.js';
import { field, h, replace, table, when } from './ui.js';

const PAGE = 50;
// The resource types Sluice records (a free text id narrows further).
const TYPES = [
  ['', 'Any'],
  ['source', 'Sources'],
  ['destination', 'Destinations'],
  ['subscription', 'Subscriptions'],
  ['destination_filter', 'Destination filters'],
  ['token', 'Tokens'],
  ['catalog', 'Catalog'],
];

function link(event) {
  const id = encodeURIComponent(event.resourceId);
  if (event.resourceType === 'source') return `#/sources/${id}`;
  if (event.resourceType === 'destination') return `#/destinations/${id}`;
  return null;
}

export async function render(main, { query: params }) {
  const filter = { resourceType: params.get('resourceType') || '', resourceId: params.get('resourceId') || '' };
  const cursor = params.get('cursor') || '';
  const count = Math.min(200, Math.max(1, Number.parseInt(params.get('count'), 10) || PAGE));
  const answer = await get(
    `/audit-events${query({ 'pagination.count': count, 'pagination.cursor': cursor, resourceType: filter.resourceType, resourceId: filter.resourceId })}`,
  );
  const { events = [], pagination = {} } = answer.data;

  const type = h('select', { name: 'resourceType' }, TYPES.map(([value, label]) => h('option', { value, selected: value === filter.resourceType }, label)));
  const id = h('input', { type: 'text', name: 'resourceId', autocomplete: 'off', spellcheck: 'false', value: filter.resourceId });
  const form = h(
    'form',
    { class: 'toolbar filters', onsubmit: apply },
    field('Resource type', type),
    field('Resource ID', id),
    h('div', { class: 'row actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), filter.resourceType || filter.resourceId ? h('a', { href: '#/audit' }, 'Clear') : null),
  );
  function apply(event) {
    event.preventDefault();
    location.hash = `#/audit${query({ resourceType: type.value, resourceId: id.value.trim() })}`;
  }
  const pageTo = (c) => () => {
    location.hash = `#/audit${query({ ...filter, count: count === PAGE ? '' : count, cursor: c })}`;
  };

  const total = pagination.totalEntries;
  const first = cursor ? '' : 'Newest first. ';
  replace(
    main,
    h('h1', {}, 'Audit trail'),
    h('p', { class: 'hint' }, `${first}Every change made through the API or the command line, with who made it.`),
    form,
    h('p', { class: 'count', 'aria-live': 'polite' }, typeof total === 'number' ? `${total} event${total === 1 ? '' : 's'}${filter.resourceType || filter.resourceId ? ' match' : ''}.` : ''),
    table(
      'Audit events',
      [
        { label: 'Time', cell: (e) => h('time', { datetime: e.timestamp }, when(e.timestamp)) },
        { label: 'Event', cell: (e) => e.type },
        { label: 'Resource', cell: (e) => resource(e) },
        { label: 'Actor', cell: (e) => h('code', {}, e.actor) },
      ],
      events,
      filter.resourceType || filter.resourceId ? 'No event matches.' : 'No events yet.',
    ),
    h(
      'nav',
      { class: 'pager row', 'aria-label': 'Audit trail pages' },
      h('button', { type: 'button', disabled: !pagination.previous && !cursor, onclick: pageTo(pagination.previous || '') }, 'Previous page'),
      h('button', { type: 'button', disabled: !pagination.next, onclick: pageTo(pagination.next) }, 'Next page'),
    ),
  );
}

function resource(event) {
  const href = link(event);
  const label = event.resourceName || event.resourceId;
  return [
    h('span', { class: 'badge' }, event.resourceType),
    ' ',
    href ? h('a', { href }, label) : label,
    event.resourceName && event.resourceId ? [' ', h('code', { class: 'hint' }, event.resourceId)] : null,
  ];
}
