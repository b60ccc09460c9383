// The MCP TypeScript SDK v1 (@modelcontextprotocol/sdk) signing in with OAuth, as an application
// embedding it does: Client + StreamableHTTPClientTransport with an OAuthClientProvider, the person's
// part played by oauth-browser.mjs.
//
//   node oauth-sdk1.mjs --url URL [--cimd DOCUMENT_URL] [--client-name NAME]
//                       [--call TOOL [--args JSON]] [--timeout MS]
//
// Connects without a credential: the server answers 401, and the SDK discovers the authorization
// server (RFC 9728, RFC 8414), registers (RFC 7591; with --cimd it uses DOCUMENT_URL as its client_id
// instead, a client ID metadata document, when the server says it supports them) and hands over an
// authorization URL with PKCE. The person signs in and consents; the browser brings the code to this
// script's loopback listener; finishAuth() trades it for tokens (v1 takes the code alone and does
// not look at RFC 9207's iss; oauth-sdk2.mjs does). Then the tools are listed and --call made; then
// the access token is revoked (RFC 7009, as the client may), so that the server refuses it (401
// invalid_token, as it would an expired one) and the SDK refreshes and retries on its own, and
// --call is made again.
//
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line, exit 0:
//   {"clientId", "registration": "dynamic"|"metadata-document", "pages": ["login", "consent"],
//    "server": {name, version}, "tools": [names], "result": CallToolResult?, "refreshed": bool,
//    "refreshTokenRotated": bool, "afterRefresh": CallToolResult?, "tokens": {"access", "refresh"}
//    (prefixes only),
//    "http": [{method, path, status, grant?, wwwAuthenticate?}]}
// exit 1: {"error", "http", "trace"?}
// Nothing printed holds a token, a code or a password.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { args, deadline, fail, jsonObject, succeed } from './common.mjs';
import { authorize, credentialsFromEnv, granted, loopbackListener, memoryProvider, prefix, recordingFetch, revoke } from './oauth-browser.mjs';

const http = [];
let trace;

async function main() {
  const opts = args({
    url: { type: 'string' },
    cimd: { type: 'string' },
    'client-name': { type: 'string', default: 'Gatehouse test (MCP SDK v1)' },
    call: { type: 'string' },
    args: { type: 'string' },
    timeout: { type: 'string', default: '60000' }
  }, ['url']);
  const timeout = Number(opts.timeout);
  deadline(timeout, () => ({ http, trace }));
  const credentials = credentialsFromEnv();
  const serverUrl = new URL(opts.url);
  const app = await loopbackListener('/callback');
  const fetchFn = recordingFetch(http);

  // The application's storage, in memory; saved exactly as the SDK hands it over.
  const state = crypto.randomUUID();
  const { provider, store, authorizationUrl: sentTo } = memoryProvider({
    redirectUri: app.redirectUri, clientName: opts['client-name'], state, cimd: opts.cimd
  });
  const transport = () => new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: fetchFn });
  const newClient = () => new Client({ name: 'gatehouse-oauth-sdk1', version: '1.0.0' });

  try {
    await newClient().connect(transport(), { timeout });
    throw new Error('the server let the client in without a credential');
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !sentTo()) throw error;
  }
  const signIn = await authorize(sentTo(), credentials);
  trace = signIn.trace;
  const callback = await app.callback;
  app.close();
  if (callback.searchParams.get('state') !== state) throw new Error('the callback carries another state');
  if (callback.searchParams.has('error')) {
    throw new Error(`authorization refused: ${callback.searchParams.get('error')} ${callback.searchParams.get('error_description') ?? ''}`);
  }
  await transport().finishAuth(callback.searchParams.get('code'));

  const session = newClient();
  await session.connect(transport(), { timeout });
  const out = {
    clientId: store.client?.client_id ?? null,
    registration: store.client?.client_id === opts.cimd ? 'metadata-document' : 'dynamic',
    pages: signIn.pages,
    server: session.getServerVersion() ?? null
  };
  out.tools = (await session.listTools(undefined, { timeout })).tools.map(tool => tool.name);
  const toolArgs = jsonObject(opts.args, '--args');
  if (opts.call) {
    out.result = await session.callTool({ name: opts.call, arguments: toolArgs }, undefined, { timeout });
  }

  // The access token stops being honoured (revoked, RFC 7009; as good as expired): the next request
  // is refused with 401 invalid_token, and the transport refreshes and sends the request again.
  const before = store.tokens;
  await revoke(serverUrl, store.client.client_id, before.access_token, fetchFn);
  const refreshesBefore = granted(http, 'refresh_token');
  if (opts.call) {
    out.afterRefresh = await session.callTool({ name: opts.call, arguments: toolArgs }, undefined, { timeout });
  } else {
    await session.listTools(undefined, { timeout });
  }
  out.refreshed = granted(http, 'refresh_token') > refreshesBefore && store.tokens.access_token !== before.access_token;
  out.refreshTokenRotated = store.tokens.refresh_token !== before.refresh_token;
  out.tokens = { access: prefix(store.tokens.access_token), refresh: prefix(store.tokens.refresh_token) };
  await session.close();
  succeed({ ...out, http });
}

main().catch(error => fail(error, { http, ...(trace && { trace }), ...(error.trace && { trace: error.trace }) }));
