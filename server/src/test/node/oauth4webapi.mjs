// oauth4webapi (panva's strict OAuth 2 client) against Gatehouse, step by step as the MCP
// authorization spec lays them out, with MCP's Streamable HTTP spoken by hand over its
// protectedResourceRequest(); the person's part played by oauth-browser.mjs.
//
//   node oauth4webapi.mjs --url URL [--client-name NAME] [--call TOOL [--args JSON]] [--timeout MS]
//
// 1. POST initialize without a credential: 401 whose WWW-Authenticate names resource_metadata.
// 2. Protected resource metadata (RFC 9728; its `resource` must be URL), then the authorization
//    server's metadata (RFC 8414; its `issuer` must be the one named), both checked by the library.
// 3. Dynamic registration (RFC 7591) of a public client with this script's loopback redirect URI.
// 4. Authorization request with PKCE S256, state and resource (RFC 8707); the person signs in and
//    consents; validateAuthResponse() checks state and RFC 9207's iss (a forged iss must be refused).
// 5. The code for tokens, resource sent again; initialize, tools/list, --call.
// 6. The access token revoked (RFC 7009): the server's refusal must be a Bearer challenge with
//    invalid_token (parsed by the library); refresh with resource; --call again with the new token.
//
// Requests to http:// are allowed (allowInsecureRequests) for a server on loopback only.
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line, exit 0:
//   {"clientId", "issuer", "resource", "scope", "pages", "iss": true, "forgedIssRefused",
//    "server", "protocolVersion", "tools", "result"?, "challenge": {error, resourceMetadata},
//    "refreshed", "refreshTokenRotated", "afterRefresh"?, "tokens": {access, refresh} (prefixes),
//    "http": [{method, path, status, grant?, wwwAuthenticate?}]}
// exit 1: {"error", "http", "trace"?}
// Nothing printed holds a token, a code or a password.

import * as oauth from 'oauth4webapi';
import { args, deadline, fail, jsonObject, succeed } from './common.mjs';
import { authorize, credentialsFromEnv, loopbackListener, prefix, recordingFetch } from './oauth-browser.mjs';

const http = [];
let trace;
const PROTOCOL_VERSION = '2025-11-25';

/** One MCP exchange over Streamable HTTP with `token`; returns the JSON-RPC result (or null for a notification). */
async function mcp(session, token, method, params, id) {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
  if (session.id) headers.set('mcp-session-id', session.id);
  if (session.protocolVersion) headers.set('mcp-protocol-version', session.protocolVersion);
  const message = { jsonrpc: '2.0', method, ...(params && { params }), ...(id !== undefined && { id }) };
  const response = await oauth.protectedResourceRequest(token, 'POST', session.url, headers, JSON.stringify(message),
    session.options);
  if (id === undefined) {
    await response.body?.cancel();
    if (response.status !== 202) throw new Error(`${method}: expected 202, got ${response.status}`);
    return null;
  }
  if (!response.ok) throw new Error(`${method}: HTTP ${response.status} ${await response.text()}`);
  session.id = response.headers.get('mcp-session-id') ?? session.id;
  const type = response.headers.get('content-type') ?? '';
  let answer;
  if (type.startsWith('text/event-stream')) {
    for (const event of (await response.text()).split(/\r?\n\r?\n/)) {
      const data = event.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n');
      if (!data) continue;
      const parsed = JSON.parse(data);
      if (parsed.id === id) answer = parsed;
    }
  } else {
    answer = await response.json();
  }
  if (!answer) throw new Error(`${method}: no answer to request ${id}`);
  if (answer.error) throw new Error(`${method}: JSON-RPC error ${answer.error.code} ${answer.error.message}`);
  return answer.result;
}

async function main() {
  const opts = args({
    url: { type: 'string' },
    'client-name': { type: 'string', default: 'Gatehouse test (oauth4webapi)' },
    call: { type: 'string' },
    args: { type: 'string' },
    timeout: { type: 'string', default: '60000' }
  }, ['url']);
  deadline(Number(opts.timeout), () => ({ http, trace }));
  const credentials = credentialsFromEnv();
  const resourceUrl = new URL(opts.url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(resourceUrl.hostname);
  const options = { [oauth.customFetch]: recordingFetch(http), ...(loopback && { [oauth.allowInsecureRequests]: true }) };
  const out = {};

  // 1. Unauthenticated: the challenge names the resource metadata.
  const initialize = { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'gatehouse-oauth4webapi', version: '1.0.0' } };
  const probe = await options[oauth.customFetch](resourceUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initialize })
  });
  await probe.body?.cancel();
  const challenge = probe.headers.get('www-authenticate') ?? '';
  if (probe.status !== 401 || !/^Bearer\b/i.test(challenge)) {
    throw new Error(`expected 401 with a Bearer challenge, got ${probe.status} ${challenge}`);
  }
  const named = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  const challengedScope = /scope="([^"]*)"/.exec(challenge)?.[1];

  // 2. Discovery, checked by the library: resource is the URL, issuer is the one named.
  const discovery = await oauth.resourceDiscoveryRequest(resourceUrl, options);
  if (named !== discovery.url) throw new Error(`the challenge names ${named}, the well-known location is ${discovery.url}`);
  const rs = await oauth.processResourceDiscoveryResponse(resourceUrl, discovery);
  if (!rs.authorization_servers?.length) throw new Error('the resource names no authorization server');
  const issuer = new URL(rs.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }));
  if (as.authorization_response_iss_parameter_supported !== true) throw new Error('the server does not promise iss (RFC 9207)');
  if (!as.code_challenge_methods_supported?.includes('S256')) throw new Error('the server does not list S256');
  out.issuer = as.issuer;
  out.resource = rs.resource;

  // 3. Registration.
  const app = await loopbackListener('/callback');
  const client = await oauth.processDynamicClientRegistrationResponse(await oauth.dynamicClientRegistrationRequest(as, {
    client_name: opts['client-name'],
    redirect_uris: [app.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none'
  }, options));
  out.clientId = client.client_id;
  const clientAuth = oauth.None();

  // 4. Authorization with PKCE, state and resource.
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const scope = challengedScope ?? rs.scopes_supported?.join(' ');
  out.scope = scope;
  const authorizationUrl = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: client.client_id, redirect_uri: app.redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    state, resource: rs.resource, ...(scope && { scope })
  })) authorizationUrl.searchParams.set(k, v);
  const signIn = await authorize(authorizationUrl, credentials);
  trace = signIn.trace;
  out.pages = signIn.pages;
  const callback = await app.callback;
  app.close();
  const forged = new URL(callback);
  forged.searchParams.set('iss', 'https://attacker.example');
  try {
    oauth.validateAuthResponse(as, client, forged, state);
    out.forgedIssRefused = false;
  } catch (error) {
    out.forgedIssRefused = error instanceof oauth.OperationProcessingError && /iss/.test(error.message);
  }
  const params = oauth.validateAuthResponse(as, client, callback, state);
  out.iss = callback.searchParams.get('iss') === as.issuer;

  // 5. Tokens, then MCP with them.
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, params, app.redirectUri, verifier, { additionalParameters: { resource: rs.resource }, ...options }));
  if (tokens.token_type.toLowerCase() !== 'bearer') throw new Error(`token_type ${tokens.token_type}`);
  if (!tokens.refresh_token) throw new Error('no refresh token');
  const session = { url: resourceUrl, options };
  const init = await mcp(session, tokens.access_token, 'initialize', initialize, 1);
  session.protocolVersion = init.protocolVersion;
  out.server = init.serverInfo ?? null;
  out.protocolVersion = init.protocolVersion;
  await mcp(session, tokens.access_token, 'notifications/initialized');
  out.tools = (await mcp(session, tokens.access_token, 'tools/list', {}, 2)).tools.map(t => t.name);
  const toolArgs = jsonObject(opts.args, '--args');
  if (opts.call) out.result = await mcp(session, tokens.access_token, 'tools/call', { name: opts.call, arguments: toolArgs }, 3);

  // 6. The access token revoked (RFC 7009): a Bearer challenge with invalid_token; refresh; again.
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, tokens.access_token,
    { additionalParameters: { token_type_hint: 'access_token' }, ...options }));
  try {
    await mcp(session, tokens.access_token, 'tools/list', {}, 4);
    throw new Error('the revoked access token was accepted');
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    const bearer = error.cause.find(c => c.scheme === 'bearer');
    out.challenge = { status: error.status, error: bearer?.parameters.error, resourceMetadata: bearer?.parameters.resource_metadata === named };
  }
  const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
    as, client, clientAuth, tokens.refresh_token, { additionalParameters: { resource: rs.resource }, ...options }));
  out.refreshed = refreshed.access_token !== tokens.access_token;
  out.refreshTokenRotated = Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token;
  if (opts.call) {
    out.afterRefresh = await mcp(session, refreshed.access_token, 'tools/call', { name: opts.call, arguments: toolArgs }, 5);
  } else {
    await mcp(session, refreshed.access_token, 'tools/list', {}, 5);
  }
  out.tokens = { access: prefix(refreshed.access_token), refresh: prefix(refreshed.refresh_token ?? tokens.refresh_token) };
  succeed({ ...out, http });
}

main().catch(error => fail(error, { http, ...((error.trace ?? trace) && { trace: error.trace ?? trace }) }));
