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
import { runSdkFlow } from './oauth-sdk-flow.mjs';

runSdkFlow({
  sdk: { Client, StreamableHTTPClientTransport, UnauthorizedError },
  name: 'gatehouse-oauth-sdk1',
  clientName: 'Gatehouse test (MCP SDK v1)',
  // v1 takes the code alone.
  finish: async ({ transport, callback }) => {
    await transport().finishAuth(callback.searchParams.get('code'));
    return {};
  }
});
