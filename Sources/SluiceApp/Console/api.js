// Sluice's own HTTP API, as the console calls it: the Public API token from the tab's session storage
// (never a URL or a cookie), JSON in and out, Segment's error envelope turned into an ApiError.

const TOKEN_KEY = 'sluice.token';
const READ_ONLY_KEY = 'sluice.readOnly';

/** A failed call: `status` is the HTTP status; `errors` Segment's envelope entries ({type, message, field?}). */
export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
  /** The message of the error naming `field` (exactly, or as the last part of a dotted path), if any. */
  forField(field) {
    const hit = this.errors.find((e) => e.field === field || (e.field || '').split('.').pop() === field);
    return hit ? hit.message : null;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  readOnly: () => sessionStorage.getItem(READ_ONLY_KEY) === 'true',
  /** Checks the token with GET /sluice/token and keeps it (and whether it is read-only) for this tab. */
  async signIn(token) {
    const answer = await call('GET', '/sluice/token', undefined, { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(READ_ONLY_KEY, String(answer.data.token.readOnly));
    return answer.data.token;
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(READ_ONLY_KEY);
  },
};

// Media types Segment's operations answer in (NOTES.md): subscriptions alpha, delivery metrics beta.
function acceptFor(path) {
  if (path.startsWith('/destinations/') && path.includes('/subscriptions')) return 'application/vnd.segment.v1alpha+json';
  if (path.endsWith('/delivery-metrics')) return 'application/vnd.segment.v1beta+json';
  return 'application/json';
}

/** Sends a request and answers its JSON. A non-2xx answer throws ApiError; a 401 also signs out. */
export async function call(method, path, body, options = {}) {
  const token = options.token ?? session.token();
  const headers = { Accept: options.accept ?? acceptFor(path) };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, [{ type: 'network', message: `Sluice cannot be reached (${e.message})` }]);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const errors = json && Array.isArray(json.errors) ? json.errors : [{ type: 'http', message: `HTTP ${response.status}` }];
    if (response.status === 401 && !options.token) session.signOut();
    throw new ApiError(response.status, errors);
  }
  return json;
}

export const get = (path, options) => call('GET', path, undefined, options);
export const post = (path, body, options) => call('POST', path, body, options);
export const patch = (path, body, options) => call('PATCH', path, body, options);
export const del = (path, options) => call('DELETE', path, undefined, options);

/** A query string from an object, leaving out undefined, null and '' values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Every item of a paginated list (`pagination.next` cursors), up to `limit` items. */
export async function all(path, key, limit = 1000, options) {
  const items = [];
  let cursor;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = `${sep}pagination.count=200${cursor ? `&pagination.cursor=${encodeURIComponent(cursor)}` : ''}`;
    const answer = await get(path + page, options);
    items.push(...(answer.data[key] || []));
    cursor = answer.data.pagination && answer.data.pagination.next;
  } while (cursor && items.length < limit);
  return items;
}
