// mcp-remote (the stdio-to-HTTP bridge Claude Desktop and others use) signing in with OAuth, run
// for real: this script is the stdio host (the SDK's StdioClientTransport), spawns mcp-remote's
// proxy from node_modules without any credential, and plays the person at the browser.
//
//   node oauth-mcp-remote.mjs --url URL [--call TOOL [--args JSON]] [--timeout MS]
//
// mcp-remote probes URL, gets 401, discovers the authorization server, registers (RFC 7591) with
// its own loopback redirect URI (http://localhost:<port>/oauth/callback, the port given on its
// command line), prints the authorization URL ("Please authorize this client by visiting:") and
// tries to open a browser. It gets none: the environment has no DISPLAY and BROWSER=false, so every
// opener fails. The person (oauth-browser.mjs) opens the printed URL, signs in, consents, and the
// browser delivers the redirect to mcp-remote's callback server; mcp-remote redeems the code and
// connects. Then the tools are listed and --call made. Then the access token in mcp-remote's token
// file is revoked (RFC 7009; as good as expired): the server refuses it, mcp-remote refreshes on
// its own (its token file changes), and --call is made again.
//
// mcp-remote keeps its state in a fresh temporary directory (MCP_REMOTE_CONFIG_DIR, HOME).
// The person's email and password come from GATEHOUSE_TEST_EMAIL and GATEHOUSE_TEST_PASSWORD, and
// are not passed on to mcp-remote.
// Last stdout line, exit 0:
//   {"clientId", "pages", "server", "tools", "result"?, "refreshed", "refreshTokenRotated",
//    "afterRefresh"?, "tokens": {access, refresh} (prefixes only), "browserOpened": false}
// exit 1: {"error", "stderrTail", "trace"?}
// stderr is mcp-remote's own log (not --debug, which writes token-adjacent detail to its files).

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { args, deadline, fail, jsonObject, killOnExit, succeed } from './common.mjs';
import { authorize, credentialsFromEnv, freePort, prefix, revoke } from './oauth-browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let stderr = '';
let trace;

/** mcp-remote's `mcp-remote` bin, as npx would run it. */
function proxyEntry() {
  const root = join(here, 'node_modules', 'mcp-remote');
  return join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin['mcp-remote']);
}

/** mcp-remote's stored files of one kind (<hash>_<name>) under its configuration directory. */
function stored(state, name) {
  const dirs = readdirSync(state).filter(d => d.startsWith('mcp-remote-')).map(d => join(state, d));
  const files = dirs.flatMap(d => readdirSync(d).filter(f => f.endsWith(`_${name}`)).map(f => join(d, f)));
  if (files.length !== 1) throw new Error(`expected one ${name} in mcp-remote's directory, found ${files.length}`);
  return files[0];
}

/** Redacts what must never be printed from mcp-remote's log: codes and tokens Gatehouse issues. */
function redact(text) {
  return text.replace(/\b(gh_(?:ac|at|rt)_)[A-Za-z0-9_-]+/g, '$1…');
}

/** Delivers the redirect to mcp-remote's callback server, waiting for it to listen if need be. */
async function deliver(callback) {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await fetch(callback, { signal: AbortSignal.timeout(10_000) });
      await answer.text();
      return answer.status;
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
}

async function main() {
  const opts = args({
    url: { type: 'string' },
    call: { type: 'string' },
    args: { type: 'string' },
    timeout: { type: 'string', default: '90000' }
  }, ['url']);
  const timeout = Number(opts.timeout);
  deadline(timeout, () => ({ stderrTail: redact(stderr.slice(-4000)), trace }));
  const credentials = credentialsFromEnv();

  const state = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-remote-oauth-'));
  process.on('exit', () => rmSync(state, { recursive: true, force: true }));
  const url = new URL(opts.url);
  const port = await freePort();
  const proxyArgs = [proxyEntry(), opts.url, String(port)];
  if (url.protocol === 'http:') proxyArgs.push('--allow-http');

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: proxyArgs,
    // Only PATH, USER, SHELL, TERM and LOGNAME are inherited besides these: no DISPLAY, no desktop,
    // and not the person's credentials.
    env: { HOME: state, MCP_REMOTE_CONFIG_DIR: state, BROWSER: 'false' },
    cwd: state,
    stderr: 'pipe'
  });
  let person;
  let browserOpened;
  transport.stderr.on('data', chunk => {
    stderr += chunk;
    process.stderr.write(redact(String(chunk)));
    if (/Browser opened automatically/.test(stderr)) browserOpened = true;
    if (/Could not open a browser automatically/.test(stderr)) browserOpened ??= false;
    const asked = /Please authorize this client by visiting:\s*(\S+)/.exec(stderr);
    if (asked && !person) {
      person = (async () => {
        const signIn = await authorize(asked[1], credentials, { deliver: false });
        trace = signIn.trace;
        await deliver(signIn.callback);
        return signIn;
      })();
      person.catch(error => fail(`the person could not sign in: ${error.message}`,
        { stderrTail: redact(stderr.slice(-4000)), trace: error.trace ?? trace }));
    }
  });
  killOnExit(transport);

  const client = new Client({ name: 'gatehouse-mcp-remote-oauth-host', version: '1.0.0' });
  await client.connect(transport, { timeout });
  if (!person) throw new Error('mcp-remote connected without asking anyone to sign in');
  const signIn = await person;
  const clientInfo = JSON.parse(readFileSync(stored(state, 'client_info.json'), 'utf8'));
  const out = {
    clientId: clientInfo.client_id,
    clientName: clientInfo.client_name ?? null,
    pages: signIn.pages,
    server: client.getServerVersion() ?? null
  };
  out.tools = (await client.listTools(undefined, { timeout })).tools.map(tool => tool.name);
  const toolArgs = jsonObject(opts.args, '--args');
  if (opts.call) out.result = await client.callTool({ name: opts.call, arguments: toolArgs }, undefined, { timeout });

  // The access token stops being honoured (revoked, RFC 7009, with the client_id mcp-remote
  // registered): mcp-remote's next request is refused with 401, and it refreshes on its own.
  const tokensFile = stored(state, 'tokens.json');
  const before = JSON.parse(readFileSync(tokensFile, 'utf8'));
  await revoke(url, clientInfo.client_id, before.access_token);
  if (opts.call) {
    out.afterRefresh = await client.callTool({ name: opts.call, arguments: toolArgs }, undefined, { timeout });
  } else {
    await client.listTools(undefined, { timeout });
  }
  const after = JSON.parse(readFileSync(tokensFile, 'utf8'));
  out.refreshed = after.access_token !== before.access_token;
  out.refreshTokenRotated = after.refresh_token !== before.refresh_token;
  out.tokens = { access: prefix(after.access_token), refresh: prefix(after.refresh_token) };
  out.browserOpened = browserOpened ?? null;
  await client.close();
  succeed(out);
}

main().catch(error => fail(error, { stderrTail: redact(stderr.slice(-4000)), ...(trace && { trace }) }));
