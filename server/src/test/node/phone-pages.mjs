// Gatehouse's pages in a real Chromium at phone width, with scripts off: does each fit the screen,
// can a thumb press its buttons, does iOS leave its fields unzoomed, does it say what it must, and
// does the consent page's "Allow" still lead back to the application.
//
//   node phone-pages.mjs --screenshots DIR [--chromium PATH] [--viewport WxH]...
//                        [--page NAME=URL]... [--authorize URL] [--expect NAME=TEXT]...
//
// For each --viewport (default 390x844 and 320x640; device scale 2, mobile, touch, JavaScript
// disabled), in a browser context of its own (no cookies): each --page is opened as it is; then
// --authorize is opened, which shows the sign-in page ("login"), where the email and password are
// typed and the button tapped, then the consent page ("consent"), whose "Allow" is tapped; the
// browser follows the redirect to the application's redirect URI, as it would for a real one.
// Every page is measured and saved to DIR as VIEWPORT-NAME.png (the whole page). --expect names a
// text the page NAME must show (repeatable). URLs and texts may hold ${VAR} placeholders, filled
// from the environment (a link's token, the person's email stay off the command line).
//
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line, exit 0 (the pages are measured, not judged: the Java test judges):
//   {"browser": version, "viewports": {"390x844": {"width", "height", "pages": {NAME: PAGE},
//    "approved": {"origin", "path", "status", "code": bool, "state", "iss"},
//    "error": where and why this viewport stopped, if it did (then VIEWPORT-stopped.png)}},
//    "ms": how long the browser took, "trace": as below}
//   PAGE: {"path", "status", "innerWidth", "scrollWidth", "viewportMeta", "cssRules", "scripts",
//          "outside": [elements of <main> reaching past either edge], "controls": [{"what", "kind",
//          "visible", "left", "right", "height", "fontSize"}], "missing": [expected texts not shown],
//          "screenshot"}
// exit 1: {"error", "trace": [{viewport, method, path, status, origin (of a POST)} or {viewport, console}]}
// Nothing printed holds a password, a code or a link's token: paths are printed without queries.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { args, deadline, expandEnv, fail, since, succeed, UsageError } from './common.mjs';
import { credentialsFromEnv } from './oauth-browser.mjs';

const trace = [];
let opts, viewports, pages, expected, credentials, authorize;

/** `NAME=VALUE` options as [name, value] pairs. */
function pairs(list, what) {
  return list.map(item => {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError(`--${what} must look like NAME=VALUE, got ${JSON.stringify(item.split('=')[0])}…`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

function readOptions() {
  opts = args({
    screenshots: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    viewport: { type: 'string', multiple: true, default: ['390x844', '320x640'] },
    page: { type: 'string', multiple: true, default: [] },
    authorize: { type: 'string' },
    expect: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '90000' }
  }, ['screenshots']);
  viewports = opts.viewport.map(v => {
    const m = /^(\d+)x(\d+)$/.exec(v);
    if (!m) throw new UsageError(`--viewport must look like 390x844, got ${JSON.stringify(v)}`);
    return { name: v, width: Number(m[1]), height: Number(m[2]) };
  });
  pages = pairs(opts.page, 'page').map(([name, url]) => [name, expandEnv(url)]);
  expected = new Map();
  for (const [name, text] of pairs(opts.expect, 'expect')) {
    expected.set(name, [...(expected.get(name) ?? []), expandEnv(text)]);
  }
  if (opts.authorize !== undefined) {
    credentials = credentialsFromEnv();
    authorize = expandEnv(opts.authorize);
  }
  deadline(Number(opts.timeout), () => ({ trace }));
}

/** `text` with every query string cut off: a link's token or a code stays out of what is printed. */
function noQuery(text) {
  return String(text).replace(/\?[^\s'"]*/g, '?…');
}

/**
 * What a person at `width` sees of the page now, measured in the page (Playwright evaluates in a
 * world of its own: the page's scripts stay off). The controls are the main form's buttons and
 * fields, every link in <main>, and the labels around check boxes (the part a thumb presses).
 */
function measure(width) {
  const box = element => {
    const r = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return {
      visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
      left: Math.round(r.left * 10) / 10,
      right: Math.round(r.right * 10) / 10,
      height: Math.round(r.height * 10) / 10,
      fontSize: parseFloat(style.fontSize)
    };
  };
  const describe = element => {
    const label = element.tagName === 'INPUT' || element.tagName === 'SELECT'
      ? element.name || element.id : element.textContent.replace(/\s+/g, ' ').trim().slice(0, 40);
    return `${element.tagName.toLowerCase()}${element.className ? '.' + element.className.split(' ').join('.') : ''} ${label}`;
  };
  const kind = element => {
    if (element.tagName === 'BUTTON' || element.classList.contains('button')) return 'button';
    if (element.tagName === 'LABEL') return 'check';
    if (element.tagName === 'A') return 'link';
    if (element.type === 'checkbox' || element.type === 'radio') return 'box';
    return 'field';
  };
  const main = document.querySelector('main');
  const outside = [];
  for (const element of main ? [main, ...main.querySelectorAll('*')] : []) {
    const b = box(element);
    if (b.visible && (b.left < -0.5 || b.right > width + 0.5)) {
      outside.push(`${describe(element)} (${b.left}..${b.right})`);
    }
  }
  const controls = [...document.querySelectorAll('main form button, main form input:not([type=hidden]), '
    + 'main form select, main form textarea, main a, main label.check')]
    .map(element => ({ what: describe(element), kind: kind(element), ...box(element) }));
  let cssRules = 0;
  for (const sheet of document.styleSheets) cssRules += sheet.cssRules.length;
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    viewportMeta: document.querySelector('meta[name=viewport]')?.getAttribute('content') ?? null,
    cssRules,
    scripts: document.scripts.length,
    outside,
    controls,
    text: document.body.innerText
  };
}

/** Measures the page shown as NAME and saves its picture. */
async function inspect(page, viewport, name, status) {
  const url = new URL(page.url());
  const { text, ...seen } = await page.evaluate(measure, viewport.width);
  const shown = text.replace(/\s+/g, ' ');
  const screenshot = `${viewport.name}-${name}.png`;
  await page.screenshot({ path: join(opts.screenshots, screenshot), fullPage: true });
  return {
    path: url.pathname,
    status,
    ...seen,
    missing: (expected.get(name) ?? []).filter(t => !shown.includes(t.replace(/\s+/g, ' '))),
    screenshot
  };
}

/** What the page says in its heading and alert, for an error message. */
async function said(page) {
  return page.evaluate(() => [...document.querySelectorAll('main h1, main [role=alert], main h1 + p')]
    .map(e => e.textContent.replace(/\s+/g, ' ').trim()).join(' / '));
}

/** Taps `locator` (a form's submit button) and waits for the page the form leads to. */
async function tapAndWait(page, locator) {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: frame => frame === page.mainFrame(), timeout: 15_000 }),
    locator.tap({ timeout: 15_000 })
  ]);
  await page.waitForLoadState('load');
}

async function visit(browser, viewport) {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: viewport.width, height: viewport.height },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true
  });
  let lastStatus = 0;
  context.on('response', async response => {
    const request = response.request();
    if (request.isNavigationRequest()) {
      lastStatus = response.status();
      const path = new URL(response.url()).pathname;
      const entry = { viewport: viewport.name, method: request.method(), path, status: lastStatus };
      trace.push(entry);
      // What a form post said it came from: Gatehouse refuses one from elsewhere.
      if (request.method() === 'POST') entry.origin = await request.headerValue('origin').catch(() => undefined);
    }
  });
  // What the browser itself complains of (a stylesheet or a form the CSP refuses), queries cut off.
  context.on('console', message => {
    // (A missing favicon is "Failed to load resource"; a missing stylesheet shows as no CSS rules.)
    const complaint = message.type() === 'error' || message.type() === 'warning';
    if (complaint && !message.text().startsWith('Failed to load resource')) {
      trace.push({ viewport: viewport.name, console: noQuery(message.text()) });
    }
  });
  const out = { width: viewport.width, height: viewport.height, pages: {} };
  const page = await context.newPage();
  try {
    for (const [name, url] of pages) {
      const response = await page.goto(url);
      out.pages[name] = await inspect(page, viewport, name, response.status());
    }
    if (authorize !== undefined) {
      const response = await page.goto(authorize);
      if (new URL(page.url()).pathname !== '/login') {
        throw new Error(`the authorization link led to ${new URL(page.url()).pathname} (${response.status()}), not /login`);
      }
      out.pages.login = await inspect(page, viewport, 'login', response.status());
      await page.locator('main form input[name=email]').fill(credentials.email);
      await page.locator('main form input[name=password]').fill(credentials.password);
      await tapAndWait(page, page.locator('main form button[type=submit]'));
      if (new URL(page.url()).pathname !== '/oauth/authorize') {
        throw new Error(`signing in led to ${new URL(page.url()).pathname} (${lastStatus}), not the consent page`);
      }
      out.pages.consent = await inspect(page, viewport, 'consent', lastStatus);
      await tapAndWait(page, page.locator('main form button[value=approve]'));
      const back = new URL(page.url());
      out.approved = {
        origin: back.origin,
        path: back.pathname,
        status: lastStatus,
        code: back.searchParams.has('code'),
        state: back.searchParams.get('state'),
        iss: back.searchParams.get('iss')
      };
    }
  } catch (error) {
    // Reported with the page it stopped at (and its picture), and the next viewport goes on.
    const picture = join(opts.screenshots, `${viewport.name}-stopped.png`);
    await page.screenshot({ path: picture, fullPage: true }).catch(() => {});
    const where = `${new URL(page.url()).pathname} (${await said(page).catch(() => '?')})`;
    out.error = noQuery(`stopped at ${where}: ${String(error.message).split('\n')[0]}`);
  } finally {
    await context.close();
  }
  return out;
}

// A promise nobody waited on still ends the script with its JSON line, not a stack trace.
process.on('unhandledRejection', error => fail(error, { trace }));

let browser;
try {
  readOptions();
  mkdirSync(opts.screenshots, { recursive: true });
  const start = performance.now();
  browser = await chromium.launch({ executablePath: opts.chromium, headless: true });
  const result = { browser: browser.version(), viewports: {} };
  for (const viewport of viewports) {
    result.viewports[viewport.name] = await visit(browser, viewport);
  }
  await browser.close();
  succeed({ ...result, ms: since(start), trace });
} catch (error) {
  await browser?.close().catch(() => {});
  fail(error, { trace });
}
