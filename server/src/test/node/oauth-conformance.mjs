// The official MCP conformance suite's authorization-server mode (conformance-next, i.e.
// @modelcontextprotocol/conformance 0.2.x, installed beside 0.1.16 under an npm alias), driven
// headlessly and summarised as one JSON line.
//
//   node oauth-conformance.mjs --issuer URL --resource URL [--spec-version V] [--timeout MS]
//
// The suite needs a client registered beforehand with the redirect URI
// http://127.0.0.1:<port>/callback, where it listens itself: the script registers one by dynamic
// registration (RFC 7591) at the issuer's registration_endpoint, then runs
// `conformance authorization --url ISSUER --client-id ID --resource URL --port PORT`. When the
// suite prints the authorization URL for a person to open, the person (oauth-browser.mjs) signs in
// and consents; once the suite says "Callback server started", the browser delivers the redirect
// to it. The suite then redeems the code and checks the answers.
//
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line: {"clientId", "pages", "passed": [scenario], "failed": [{"name", "reason"}],
//                    "warnings": [{"name", "reason"}], "checks": {"passed": n, "failed": n},
//                    "exitCode": the suite's}
// exit 0 when no scenario failed and the suite exited 0, 1 otherwise.
// The suite's own output goes to stderr (it prints tokens shortened to 4+4 characters, never whole).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { args, deadline, fail, finish, succeed } from './common.mjs';
import { authorize, credentialsFromEnv, freePort } from './oauth-browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ASK = 'Access the following URL in your browser and complete the authentication process.';
const LISTENING = 'Callback server started: ';

/** The suite's `conformance` bin from the aliased package. */
function suiteEntry() {
  const root = join(here, 'node_modules', 'conformance-next');
  return join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.conformance);
}

/** Registers a public client for the suite's callback at `issuer`'s registration endpoint. */
async function register(issuer, redirectUri) {
  const metadata = await (await fetch(new URL('/.well-known/oauth-authorization-server', issuer))).json();
  if (!metadata.registration_endpoint) throw new Error('the authorization server offers no registration endpoint');
  const response = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Gatehouse test (conformance suite)',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none'
    })
  });
  const body = await response.json();
  if (response.status !== 201 && response.status !== 200) throw new Error(`registration answered ${response.status}: ${JSON.stringify(body)}`);
  return body.client_id;
}

/** The checks.json files the suite wrote (authorization-server-<scenario>-<timestamp>/). */
function results(dir) {
  return readdirSync(dir).sort().map(entry => ({
    name: entry.replace(/^authorization-server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, ''),
    checks: JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8'))
  }));
}

function reasons(checks, status) {
  return checks.filter(c => c.status === status).map(c => `${c.id}: ${c.errorMessage ?? c.description}`).join('; ');
}

async function main() {
  const opts = args({
    issuer: { type: 'string' },
    resource: { type: 'string' },
    'spec-version': { type: 'string' },
    timeout: { type: 'string', default: '120000' }
  }, ['issuer', 'resource']);
  const credentials = credentialsFromEnv();
  const state = { pages: [], personError: undefined };
  deadline(Number(opts.timeout), () => state);

  const port = await freePort();
  const clientId = await register(opts.issuer, `http://127.0.0.1:${port}/callback`);
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-auth-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const argv = [suiteEntry(), 'authorization', '--url', opts.issuer, '--client-id', clientId,
    '--resource', opts.resource, '--port', String(port), '-o', out];
  if (opts['spec-version']) argv.push('--spec-version', opts['spec-version']);
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(process.stderr);
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));

  let listening;
  const started = new Promise(resolve => { listening = resolve; });
  let asked = false;
  let person = Promise.resolve();
  createInterface({ input: child.stdout }).on('line', line => {
    process.stderr.write(`${line}\n`);
    if (line.startsWith(LISTENING)) listening();
    if (line.trim() === ASK) {
      asked = true;
    } else if (asked && line.trim()) {
      asked = false;
      const authorizationUrl = line.trim();
      // The person signs in and consents; the browser delivers the redirect once the suite listens.
      person = (async () => {
        const signIn = await authorize(authorizationUrl, credentials, { deliver: false });
        state.pages = signIn.pages;
        await started;
        const answer = await fetch(signIn.callback);
        await answer.text();
        state.delivered = answer.status;
      })().catch(error => { state.personError = error.message; });
    }
  });
  const exitCode = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', code => resolve(code ?? 1));
  });
  await person;

  const summary = { clientId, pages: state.pages, passed: [], failed: [], warnings: [], checks: { passed: 0, failed: 0 }, exitCode };
  if (state.personError) summary.personError = state.personError;
  for (const { name, checks } of results(out)) {
    summary.checks.passed += checks.filter(c => c.status === 'SUCCESS').length;
    summary.checks.failed += checks.filter(c => c.status === 'FAILURE').length;
    const failures = reasons(checks, 'FAILURE');
    if (failures) summary.failed.push({ name, reason: failures });
    else summary.passed.push(name);
    const warnings = reasons(checks, 'WARNING');
    if (warnings) summary.warnings.push({ name, reason: warnings });
  }
  if (summary.passed.length + summary.failed.length === 0) {
    fail(`the suite wrote no results (exit ${exitCode}); see stderr`, summary);
  } else if (summary.failed.length > 0 || exitCode !== 0 || state.personError) {
    finish(1, summary);
  } else {
    succeed(summary);
  }
}

main().catch(error => fail(error));
