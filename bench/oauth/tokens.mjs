// The person's part of the OAuth benchmark (bench/run-oauth): times whole flows against a running
// Gatehouse, then leaves a token pair for wrk in a file.
//
//   node bench/oauth/tokens.mjs --url URL [--flows 20]
//
// Each flow, timed from the first request to the token answer: open registration (RFC 7591, a new
// client each time), the authorization request with PKCE, the sign-in and consent pages filled in
// (server/src/test/node/oauth-browser.mjs, the tests' headless person), and the code exchange.
// Then one flow for the operator's confidential client BENCH_CLIENT_ID / BENCH_CLIENT_SECRET, whose
// access and refresh tokens are written, as JSON, to the file BENCH_OUT (never printed).
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line: {"flows", "medianMs", "p90Ms", "minMs", "maxMs"}.

import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { authorize, credentialsFromEnv } from '../../server/src/test/node/oauth-browser.mjs';

const { values: opts } = parseArgs({ options: { url: { type: 'string' }, flows: { type: 'string', default: '20' } } });
const base = new URL(opts.url);
const credentials = credentialsFromEnv();
const redirect = 'http://127.0.0.1/callback';
const b64 = buf => buf.toString('base64url');

async function form(path, fields, headers = {}) {
  const response = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields)
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${json.error}`);
  return json;
}

/** One whole flow for clientId; returns the token answer. */
async function flow(clientId, auth) {
  const verifier = b64(randomBytes(32));
  const authorizeUrl = new URL('/oauth/authorize', base);
  authorizeUrl.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirect, state: b64(randomBytes(8)),
    code_challenge: b64(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
    scope: 'mcp:use', resource: new URL('/mcp/demo', base).toString()
  }).toString();
  const { callback } = await authorize(authorizeUrl, credentials, { deliver: false });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error('no code: ' + callback.searchParams.get('error'));
  return form('/oauth/token', {
    grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier,
    ...(auth ? {} : { client_id: clientId })
  }, auth ? { authorization: auth } : {});
}

async function register(name) {
  const response = await fetch(new URL('/oauth/register', base), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [redirect], token_endpoint_auth_method: 'none' })
  });
  if (response.status !== 201) throw new Error('registration: ' + response.status);
  return (await response.json()).client_id;
}

const times = [];
for (let i = 0; i < Number(opts.flows); i++) {
  const start = performance.now();
  const clientId = await register(`bench flow ${i} ${b64(randomBytes(4))}`);
  await flow(clientId, null);
  times.push(performance.now() - start);
}
const auth = 'Basic ' + Buffer.from(`${process.env.BENCH_CLIENT_ID}:${process.env.BENCH_CLIENT_SECRET}`).toString('base64');
const tokens = await flow(process.env.BENCH_CLIENT_ID, auth);
writeFileSync(process.env.BENCH_OUT, JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }),
  { mode: 0o600 });
times.sort((a, b) => a - b);
const at = q => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
process.stdout.write(JSON.stringify({ flows: times.length, medianMs: at(0.5), p90Ms: at(0.9), minMs: Math.round(times[0]),
  maxMs: Math.round(times[times.length - 1]) }) + "\n");
