// The part of oauth-sdk1.mjs and oauth-sdk2.mjs that is the same for both SDK versions: the
// options, the application's listener and storage, the first connection (401), the person's sign-in
// and consent, then tools, a call, the access token revoked so that the SDK refreshes, and the call
// again. Each script passes its SDK's classes and how it finishes the authorization.

import { args, deadline, fail, jsonObject, succeed } from './common.mjs';
import { authorize, credentialsFromEnv, granted, loopbackListener, memoryProvider, prefix, recordingFetch, revoke } from './oauth-browser.mjs';

/**
 * Runs the flow with one SDK.
 *   sdk: { Client, StreamableHTTPClientTransport, UnauthorizedError }; name: the MCP client's name
 *   finish(ctx): trades the callback for tokens; ctx = { transport, callback, http, store }; returns
 *   extra fields for the output.
 */
export function runSdkFlow({ sdk, name, clientName, finish }) {
  const http = [];
  let trace;
  const main = async () => {
    const opts = args({
      url: { type: 'string' },
      cimd: { type: 'string' },
      'client-name': { type: 'string', default: clientName },
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
    const transport = () => new sdk.StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: fetchFn });
    const newClient = () => new sdk.Client({ name, version: '1.0.0' });

    try {
      await newClient().connect(transport(), { timeout });
      throw new Error('the server let the client in without a credential');
    } catch (error) {
      if (!(error instanceof sdk.UnauthorizedError) || !sentTo()) throw error;
    }
    const signIn = await authorize(sentTo(), credentials);
    trace = signIn.trace;
    const callback = await app.callback;
    app.close();
    if (callback.searchParams.get('state') !== state) throw new Error('the callback carries another state');
    if (callback.searchParams.has('error')) {
      throw new Error(`authorization refused: ${callback.searchParams.get('error')} ${callback.searchParams.get('error_description') ?? ''}`);
    }
    const extra = await finish({ transport, callback, http, store });

    const session = newClient();
    await session.connect(transport(), { timeout });
    const out = {
      clientId: store.client?.client_id ?? null,
      registration: store.client?.client_id === opts.cimd ? 'metadata-document' : 'dynamic',
      pages: signIn.pages,
      ...extra,
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
  };
  main().catch(error => fail(error, { http, ...(trace && { trace }), ...(error.trace && { trace: error.trace }) }));
}
