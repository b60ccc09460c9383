// The MCP TypeScript SDK v2 (@modelcontextprotocol/client) signing in with OAuth, as an application
// embedding it does: Client + StreamableHTTPClientTransport with an OAuthClientProvider that keeps
// discovery state too, the person's part played by oauth-browser.mjs.
//
//   node oauth-sdk2.mjs --url URL [--cimd DOCUMENT_URL] [--client-name NAME]
//                       [--call TOOL [--args JSON]] [--timeout MS]
//
// Connects without a credential: the server answers 401, and the SDK discovers the authorization
// server (RFC 9728, RFC 8414), registers (RFC 7591; with --cimd it uses DOCUMENT_URL as its client_id
// instead, a client ID metadata document, when the server says it supports them) and hands over an
// authorization URL with PKCE. The person signs in and consents; the browser brings the code to this
// script's loopback listener. finishAuth() is first handed the callback with a forged iss (it must
// refuse before any token request, RFC 9207), then the callback's query as it came: the SDK checks
// iss against the issuer it discovered and trades the code for tokens. Then the tools are listed
// and --call made; then the access token is revoked (RFC 7009, as the client may), so that the
// server refuses it (401 invalid_token, as it would an expired one) and the SDK refreshes and
// retries on its own, and --call is made again.
//
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD.
// Last stdout line, exit 0:
//   {"clientId", "registration": "dynamic"|"metadata-document", "pages": ["login", "consent"],
//    "iss": whether the callback's iss named the issuer the SDK discovered,
//    "forgedIssRefused": whether the SDK refused the callback with another iss, before any token request,
//    "server": {name, version}, "tools": [names], "result": CallToolResult?, "refreshed": bool,
//    "refreshTokenRotated": bool, "afterRefresh": CallToolResult?, "tokens": {"access", "refresh"}
//    (prefixes only),
//    "http": [{method, path, status, grant?, wwwAuthenticate?}]}
// exit 1: {"error", "http", "trace"?}
// Nothing printed holds a token, a code or a password.

import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { runSdkFlow } from './oauth-sdk-flow.mjs';

runSdkFlow({
  sdk: { Client, StreamableHTTPClientTransport, UnauthorizedError },
  name: 'gatehouse-oauth-sdk2',
  clientName: 'Gatehouse test (MCP SDK v2)',
  finish: async ({ transport, callback, http, store }) => {
    // A mix-up first: the same callback naming another issuer must be refused before the code is spent.
    const forged = new URLSearchParams(callback.searchParams);
    forged.set('iss', 'https://attacker.example');
    const tokenRequests = http.filter(e => e.grant).length;
    let forgedIssRefused = false;
    try {
      await transport().finishAuth(forged);
    } catch (error) {
      forgedIssRefused = error.name === 'IssuerMismatchError' && http.filter(e => e.grant).length === tokenRequests;
    }
    // The whole query as it came: the SDK reads code and iss, and checks iss first.
    await transport().finishAuth(callback.searchParams);
    const iss = callback.searchParams.get('iss') === store.discovery?.authorizationServerMetadata?.issuer;
    return { iss, forgedIssRefused };
  }
});
