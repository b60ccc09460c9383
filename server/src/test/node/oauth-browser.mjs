// The person at the browser, for the OAuth client scripts (oauth-*.mjs): opens the authorization URL
// a client hands over, signs in and consents on Gatehouse's own pages the way a person would, and
// delivers the redirect back to the client's loopback listener, as a browser does. Not a script of
// its own: imported.
//
// A browser here is fetch() with redirect: 'manual' and a cookie jar for Gatehouse's origin. Pages
// are read as served (no scripts run there): each form is filled from the page's own fields, hidden
// ones and pre-ticked boxes and selected options kept as they are, the email and password typed in,
// and the form's own submit button pressed ("Allow" on the consent page). A POST carries Origin, as a
// browser's does. Nothing here logs a password, a code or a token: the trace keeps paths and statuses.

import http from 'node:http';
import { UsageError } from './common.mjs';

/** Thrown when a page answers what a person could not get past; `trace` says where. */
export class SignInError extends Error {
  constructor(message, trace) {
    super(message);
    this.trace = trace;
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The attributes of a tag's inside (`name="v"`, `name='v'`, `name=v`, bare `name`), names lower-cased. */
function attributes(inside) {
  const out = {};
  for (const m of inside.matchAll(/([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    out[m[1].toLowerCase()] = unescape(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The page's forms: action, method, and the controls a person sees, in order. */
export function forms(html) {
  const out = [];
  for (const form of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(form[1]);
    const controls = [];
    for (const m of form[2].matchAll(/<(input|button)\b([^>]*)>|<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      if (m[3] !== undefined) {
        const select = attributes(m[3]);
        const options = [...m[4].matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/gi)]
          .map(o => ({ ...attributes(o[1]), text: unescape(o[2]).trim() }));
        controls.push({ tag: 'select', name: select.name, options });
      } else {
        const a = attributes(m[2]);
        const tag = m[1].toLowerCase();
        controls.push({ tag, ...a, type: (a.type ?? (tag === 'button' ? 'submit' : 'text')).toLowerCase() });
      }
    }
    out.push({ action: attrs.action, method: (attrs.method ?? 'get').toLowerCase(), controls });
  }
  return out;
}

/** The text of the page's alert (a wrong password, an expired form), if it shows one. */
function alertText(html) {
  const m = /<[^>]+role="alert"[^>]*>([\s\S]*?)<\//i.exec(html) ?? /<p class="error"[^>]*>([\s\S]*?)<\//i.exec(html);
  return m ? unescape(m[1].replace(/<[^>]+>/g, '')).trim() : undefined;
}

/** The page's first <h1>, tags stripped. */
function heading(html) {
  const m = /<h1\b[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
  return m ? unescape(m[1].replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim() : undefined;
}

/**
 * What a person sends for `form`: every control's value as the page has it, `typed` filled into the
 * fields of those names (email, password), and `button` the submit button pressed (by value).
 */
function fill(form, typed, button) {
  const body = new URLSearchParams();
  let pressed = false;
  for (const c of form.controls) {
    if (!c.name || c.disabled !== undefined) continue;
    if (c.tag === 'select') {
      const chosen = c.options.find(o => o.selected !== undefined) ?? c.options[0];
      if (chosen) body.append(c.name, chosen.value ?? chosen.text);
    } else if (c.type === 'submit' || c.type === 'button' || c.type === 'image' || c.type === 'reset') {
      if (c.type === 'submit' && !pressed && (button === undefined || c.value === button)) {
        body.append(c.name, c.value ?? '');
        pressed = true;
      }
    } else if (c.type === 'checkbox' || c.type === 'radio') {
      if (c.checked !== undefined) body.append(c.name, c.value ?? 'on');
    } else if (Object.hasOwn(typed, c.name)) {
      body.append(c.name, typed[c.name]);
    } else {
      body.append(c.name, c.value ?? '');
    }
  }
  if (button !== undefined && !pressed) throw new Error(`the form has no "${button}" button`);
  return body;
}

/**
 * A browser with a cookie jar for one origin (Gatehouse's); requests elsewhere carry no cookie.
 * `trace` lists each exchange as {method, path, status}: no query strings, no bodies.
 */
export class Browser {
  constructor() {
    this.cookies = new Map();
    this.origin = undefined;
    this.trace = [];
  }

  async send(url, init = {}) {
    const target = new URL(url);
    this.origin ??= target.origin;
    const headers = new Headers(init.headers);
    const ours = target.origin === this.origin;
    if (ours && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(target, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
    this.trace.push({ method: init.method ?? 'GET', path: target.pathname, status: response.status });
    if (ours) {
      for (const line of response.headers.getSetCookie()) {
        const [pair, ...flags] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (value === '' || flags.some(f => /^\s*max-age\s*=\s*0\s*$/i.test(f))) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }
}

/**
 * Signs in (when asked) and answers the consent page (when shown) for the authorization request at
 * `authorizationUrl`, then follows the redirect that leaves Gatehouse to the client's redirect URI,
 * as the browser would. Returns {callback: URL (the redirect, never printed), pages: ["login",
 * "consent"] as they came, delivered: status of the client's listener, or null when `deliver` is
 * false, trace}.
 *
 * @param credentials {email, password}
 * @param options.decision "approve" (default) or "deny": the consent button pressed
 * @param options.deliver follow the redirect to the client (default true)
 * @param options.browser a Browser to use (its cookies: a person already signed in)
 */
export async function authorize(authorizationUrl, credentials, options = {}) {
  const browser = options.browser ?? new Browser();
  const decision = options.decision ?? 'approve';
  const pages = [];
  let url = new URL(authorizationUrl);
  browser.origin ??= url.origin;
  let init = {};
  for (let hop = 0; hop < 20; hop++) {
    const response = await browser.send(url, init);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const next = new URL(response.headers.get('location'), url);
      if (next.origin !== browser.origin) {
        let delivered = null;
        if (options.deliver !== false) {
          const answer = await browser.send(next);
          await answer.text();
          delivered = answer.status;
        }
        return { callback: next, pages, delivered, trace: browser.trace };
      }
      url = next;
      init = {};
      continue;
    }
    const html = await response.text();
    const form = forms(html).find(f => f.action === '/login' || f.action === '/oauth/authorize');
    if (!response.ok || !form) {
      const why = alertText(html) ?? heading(html) ?? html.slice(0, 200);
      throw new SignInError(`${url.pathname} answered ${response.status}: ${why}`, browser.trace);
    }
    if (pages.length > 4) throw new SignInError('the sign-in pages keep coming back', browser.trace);
    let body;
    if (form.action === '/login') {
      pages.push('login');
      body = fill(form, { email: credentials.email, password: credentials.password });
    } else {
      pages.push('consent');
      body = fill(form, {}, decision);
    }
    url = new URL(form.action, url);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: browser.origin },
      body
    };
  }
  throw new SignInError('too many redirects', browser.trace);
}

/**
 * A native app's loopback listener for its OAuth redirect (RFC 8252 §7.3) on 127.0.0.1 and a free
 * port: {redirectUri, callback: Promise<URL> (the first request to `path`), close()}.
 */
export async function loopbackListener(path = '/callback') {
  let resolve;
  const callback = new Promise(r => { resolve = r; });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in. You can close this window.');
    resolve(url);
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  server.unref();
  return {
    redirectUri: `http://127.0.0.1:${server.address().port}${path}`,
    callback,
    close: () => server.close()
  };
}

/** A port nobody listens on right now, for a client that opens its own listener there. */
export async function freePort() {
  const server = http.createServer();
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise(r => server.close(r));
  return port;
}

/** The person's credentials from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD; never on a command line. */
export function credentialsFromEnv() {
  const email = process.env.GATEHOUSE_TEST_EMAIL;
  const password = process.env.GATEHOUSE_TEST_PASSWORD;
  if (!email || !password) {
    throw new UsageError('GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD must be set');
  }
  return { email, password };
}

/** The first characters of a token, enough to tell its kind (gh_at_, gh_rt_), never the token. */
export function prefix(token) {
  return typeof token === 'string' ? token.slice(0, 6) : null;
}

/**
 * A fetch that records each exchange as {method, path, status}, with `grant` (the grant_type) for a
 * token request and `wwwAuthenticate` for a 401: no query strings, no bodies, no credentials.
 */
export function recordingFetch(log, base = fetch) {
  return async (url, init = {}) => {
    const target = new URL(url instanceof Request ? url.url : url);
    const method = init.method ?? (url instanceof Request ? url.method : 'GET');
    const entry = { method, path: target.pathname };
    const body = init.body;
    if (body !== undefined && body !== null) {
      const form = body instanceof URLSearchParams ? body : typeof body === 'string' && !body.startsWith('{') ? new URLSearchParams(body) : undefined;
      if (form?.has('grant_type')) entry.grant = form.get('grant_type');
    }
    log.push(entry);
    const response = await base(url, init);
    entry.status = response.status;
    if (response.status === 401) entry.wwwAuthenticate = response.headers.get('www-authenticate') ?? undefined;
    return response;
  };
}

/** How many token requests of `grant` succeeded, from a recordingFetch log. */
export function granted(log, grant) {
  return log.filter(e => e.grant === grant && e.status === 200).length;
}

/**
 * Revokes `token` (RFC 7009) as the public client `clientId` would, at the revocation endpoint of
 * the authorization server that protects `resourceUrl` (found as a client finds it: RFC 9728 at
 * the path-inserted well-known location, then RFC 8414). Resolves when the server answered 200.
 */
export async function revoke(resourceUrl, clientId, token, fetchFn = fetch) {
  const resource = new URL(resourceUrl);
  const prm = await (await fetchFn(new URL(`/.well-known/oauth-protected-resource${resource.pathname}`, resource))).json();
  const issuer = new URL(prm.authorization_servers[0]);
  const path = issuer.pathname === '/' ? '' : issuer.pathname;
  const as = await (await fetchFn(new URL(`/.well-known/oauth-authorization-server${path}`, issuer))).json();
  const response = await fetchFn(as.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token', client_id: clientId })
  });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
}

/**
 * An application's OAuth provider for the MCP SDKs (v1 and v2 share the interface), keeping what the
 * SDK hands over in memory exactly as given. {@code authorizationUrl()} is where the SDK sent the
 * person; {@code cimd} makes the client id the URL of a metadata document.
 */
export function memoryProvider({ redirectUri, clientName, state, cimd }) {
  const store = {};
  let authorizationUrl;
  const provider = {
    get redirectUrl() { return redirectUri; },
    get clientMetadata() {
      return {
        client_name: clientName,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none'
      };
    },
    ...(cimd && { clientMetadataUrl: cimd }),
    state: () => state,
    clientInformation: () => store.client,
    saveClientInformation: client => { store.client = client; },
    tokens: () => store.tokens,
    saveTokens: tokens => { store.tokens = tokens; },
    saveCodeVerifier: verifier => { store.verifier = verifier; },
    codeVerifier: () => store.verifier,
    saveDiscoveryState: discovery => { store.discovery = discovery; },
    discoveryState: () => store.discovery,
    redirectToAuthorization: url => { authorizationUrl = url; },
    invalidateCredentials: scope => {
      for (const part of ['tokens', 'client', 'verifier', 'discovery']) {
        if (scope === 'all' || scope === part) delete store[part];
      }
    }
  };
  return { provider, store, authorizationUrl: () => authorizationUrl };
}
