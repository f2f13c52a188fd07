// The console's shell: sign-in, navigation and the hash router. Each page is a module exporting
// `render(main, params)`; it fills `main` (an element) and may return a function to call when the page is left.

import { ApiError, session } from './api.js';
import { h, notice, replace, showApiError, uid } from './ui.js';

const routes = [
  ['/sources', () => import('./sources.js'), 'list'],
  ['/sources/:id', () => import('./sources.js'), 'detail'],
  ['/destinations', () => import('./destinations.js'), 'list'],
  ['/destinations/new', () => import('./destinations.js'), 'create'],
  ['/destinations/:id', () => import('./destinations.js'), 'detail'],
  ['/destinations/:id/subscriptions', () => import('./subscriptions.js'), 'render'],
  ['/destinations/:id/filters', () => import('./filters.js'), 'render'],
  ['/destinations/:id/delivery', () => import('./delivery.js'), 'render'],
  ['/audit', () => import('./audit.js'), 'render'],
];

let leave = null;
let navigation = 0;

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, load, fn] of routes) {
    const p = pattern.split('/').filter(Boolean);
    if (p.length !== parts.length) continue;
    const params = {};
    if (p.every((seg, i) => (seg.startsWith(':') ? ((params[seg.slice(1)] = decodeURIComponent(parts[i])), true) : seg === parts[i]))) {
      return { load, fn, params };
    }
  }
  return null;
}

async function show() {
  const main = document.getElementById('main');
  if (typeof leave === 'function') leave();
  leave = null;
  notice('');
  if (!session.token()) return signIn(main);
  header();
  const path = location.hash.replace(/^#/, '') || '/destinations';
  const route = match(path.split('?')[0]);
  for (const a of document.querySelectorAll('#nav a')) {
    if (path.startsWith(a.getAttribute('href').slice(1))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/destinations' }, 'Destinations')));
    return;
  }
  // Each navigation renders into a view of its own: a page still loading when the next navigation starts draws into
  // a detached view, and its leave function runs as soon as it answers.
  const mine = ++navigation;
  const view = h('div', { class: 'view', tabindex: '-1' }, h('p', { class: 'loading' }, 'Loading…'));
  replace(main, view);
  let left;
  try {
    const page = await route.load();
    const params = { ...route.params, query: new URLSearchParams(path.split('?')[1] || '') };
    if (mine !== navigation) return;
    view.replaceChildren();
    left = await page[route.fn](view, params);
  } catch (e) {
    if (mine !== navigation) return;
    if (e instanceof ApiError && e.status === 401) return show();
    replace(view, h('h1', {}, 'Something went wrong'), h('p', { class: 'error' }, e.message));
    if (!(e instanceof ApiError)) console.warn(e);
  }
  if (mine !== navigation) {
    if (typeof left === 'function') left();
    return;
  }
  leave = left;
  document.title = `${main.querySelector('h1')?.textContent || 'Console'} · Sluice`;
  main.focus();
}

function header() {
  document.getElementById('nav').hidden = false;
  const who = document.getElementById('who');
  replace(
    who,
    session.readOnly() ? h('span', { class: 'badge' }, 'read-only') : null,
    ' ',
    h('button', { type: 'button', class: 'link', onclick: () => (session.signOut(), show()) }, 'Sign out'),
  );
}

function signIn(main) {
  document.getElementById('nav').hidden = true;
  replace(document.getElementById('who'));
  const id = uid('token');
  const input = h('input', { id, name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'card signin', onsubmit: submit },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Use a Sluice Public API token. It is kept in this tab only, until you sign out or close it.'),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'field' }, h('label', { for: id }, 'Token'), input, h('p', { class: 'error', id: `${id}-error`, hidden: true })),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  async function submit(event) {
    event.preventDefault();
    try {
      await session.signIn(input.value.trim());
      show();
    } catch (e) {
      showApiError(form, e.status === 401 ? new ApiError(401, [{ field: 'token', message: 'This token is not valid.' }]) : e);
    }
  }
  replace(main, form);
  document.title = 'Sign in · Sluice';
  input.focus();
}

// "Skip to content" moves focus to the page; followed as a link it would set the hash, which is the router's.
document.querySelector('a.skip').addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('hashchange', show);
show();
