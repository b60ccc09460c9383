// The MCP TypeScript SDK's own client over Streamable HTTP, as an application embedding it would
// use it: Client + StreamableHTTPClientTransport, credentials in requestInit.headers.
//
//   node sdk-client.mjs --url URL [--header "Name: value"]... [--list]
//                       [--call TOOL [--args JSON] [--progress]] [--terminate] [--timeout MS]
//
// Header values may name environment variables as ${NAME}; pass secrets that way.
// Last stdout line, exit 0:
//   {"sessionId", "protocolVersion", "server": {name, version}, "tools": [names]?,
//    "result": CallToolResult?, "resultAtMs"?, "progress": [{atMs, progress, total?, message?}]?,
//    "terminated"?, "http": [{method, status, contentType?}], "errors": [messages]}
// exit 1: {"error", "status"?, "wwwAuthenticate"?, "rpcCode"?, "http", "errors"}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { args, deadline, fail, headers, jsonObject, since, succeed } from './common.mjs';

/** Every HTTP exchange the transport made, and the last 401 or 403 with its challenge. */
const http = [];
const errors = [];
let refusal;

async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type') ?? undefined;
  http.push({ method: init?.method ?? 'GET', status: response.status, ...(contentType && { contentType }) });
  if (response.status === 401 || response.status === 403) {
    const wwwAuthenticate = response.headers.get('www-authenticate') ?? undefined;
    refusal = { status: response.status, ...(wwwAuthenticate && { wwwAuthenticate }) };
  }
  return response;
}

function failure(error) {
  const details = { http, errors };
  if (error instanceof StreamableHTTPError && error.code > 0) {
    details.status = error.code;
  }
  if (refusal && (details.status === undefined || details.status === refusal.status)) {
    Object.assign(details, refusal);
  }
  if (error instanceof McpError) {
    details.rpcCode = error.code;
  }
  return details;
}

/**
 * The SDK opens the standalone GET stream in the background after `initialized`; waits (2 s at
 * most) until the server has answered it, so `http` and `errors` always tell what it said.
 */
async function standaloneStreamAnswered() {
  for (let waited = 0; waited < 2000 && !http.some(e => e.method === 'GET'); waited += 20) {
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  await new Promise(resolve => setTimeout(resolve, 20));
}

async function main() {
  const opts = args({
    url: { type: 'string' },
    header: { type: 'string', multiple: true },
    list: { type: 'boolean' },
    call: { type: 'string' },
    args: { type: 'string' },
    progress: { type: 'boolean' },
    terminate: { type: 'boolean' },
    timeout: { type: 'string', default: '30000' }
  }, ['url']);
  const timeout = Number(opts.timeout);
  deadline(timeout, () => ({ http, errors }));

  const transport = new StreamableHTTPClientTransport(new URL(opts.url), {
    requestInit: { headers: headers(opts.header) },
    fetch: recordingFetch
  });
  const client = new Client({ name: 'gatehouse-sdk-client', version: '1.0.0' });
  // Failures off the request path, e.g. the standalone GET stream answered with 400 or 404.
  client.onerror = error => errors.push(error.message);

  await client.connect(transport, { timeout });
  const out = {
    sessionId: transport.sessionId ?? null,
    protocolVersion: transport.protocolVersion ?? null,
    server: client.getServerVersion() ?? null
  };

  if (opts.list) {
    out.tools = (await client.listTools(undefined, { timeout })).tools.map(tool => tool.name);
  }
  if (opts.call) {
    const progress = [];
    const start = performance.now();
    out.result = await client.callTool({ name: opts.call, arguments: jsonObject(opts.args, '--args') }, undefined, {
      timeout,
      ...(opts.progress && {
        resetTimeoutOnProgress: true,
        onprogress: p => progress.push({ atMs: since(start), progress: p.progress, total: p.total, message: p.message })
      })
    });
    out.resultAtMs = since(start);
    if (opts.progress) out.progress = progress;
  }
  await standaloneStreamAnswered();
  if (opts.terminate) {
    await transport.terminateSession();
    out.terminated = transport.sessionId === undefined;
  }
  await client.close();
  succeed({ ...out, http, errors });
}

main().catch(error => fail(error, failure(error)));
