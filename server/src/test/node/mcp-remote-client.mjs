// mcp-remote, the stdio-to-HTTP bridge Claude Desktop and others use, run for real: this script is
// the stdio host (the SDK's StdioClientTransport) and spawns mcp-remote's proxy from node_modules.
//
//   node mcp-remote-client.mjs --url URL --header "Name: value" [--header ...]
//                              [--call TOOL [--args JSON]] [--transport http-first|http-only|sse-first|sse-only]
//                              [--protocol legacy|auto] [--timeout MS]
//
// --protocol auto makes mcp-remote probe with server/discover and speak the stateless 2026-07-28
// era to a server that answers it (legacy, the default, sends initialize straight through).
//
// The header is handed to mcp-remote as written: put secrets in ${NAME} placeholders, which
// mcp-remote itself expands from its environment, so the secret is never on a command line.
// Only the variables the headers name are passed on. mcp-remote keeps its state in a fresh
// temporary directory (MCP_REMOTE_CONFIG_DIR, HOME), and has no way to open a browser: when the
// server refuses the credential it falls back to OAuth (discovery, registration, then the
// authorization URL for a browser); the script fails as soon as mcp-remote starts waiting for
// that sign-in, and kills it.
//
// Last stdout line, exit 0: {"server": {name, version}, "tools": [names], "result": CallToolResult?}
// exit 1: {"error", "status"? (mcp-remote's startup probe of URL), "fatal"? (mcp-remote's fatal
//          error), "authorizationUrl"? (where it would send a browser), "stderrTail"}
// mcp-remote runs with --debug, so stderr shows each step (without header values).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { UsageError, args, deadline, exercise, fail, killOnExit } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** mcp-remote's `mcp-remote` bin, as npx would run it. */
function proxyEntry() {
  const root = join(here, 'node_modules', 'mcp-remote');
  const bin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin['mcp-remote'];
  return join(root, bin);
}

/** The environment variables the header placeholders name; each must be set. */
function referencedEnv(headerLines) {
  const env = {};
  for (const line of headerLines) {
    if (!/^[A-Za-z0-9_-]+:/.test(line)) throw new UsageError('--header must look like "Name: value"');
    for (const [, name] of line.matchAll(/\$\{([^}]+)\}/g)) {
      // mcp-remote would send an unset placeholder literally, as the credential.
      if (!Object.hasOwn(process.env, name)) throw new UsageError(`environment variable ${name} is not set`);
      env[name] = process.env[name];
    }
  }
  return env;
}

let stderr = '';

/**
 * What mcp-remote's log (--debug) says about a failure: the status its own probe of the URL got,
 * the first line of its fatal error, and where it would have sent a browser to sign in.
 */
function diagnosis() {
  const details = { stderrTail: stderr.slice(-4000) };
  const probe = /Probed the server for an auth challenge \{ status: (\d+) \}/.exec(stderr);
  if (probe) details.status = Number(probe[1]);
  const fatal = /Fatal error: (.*)/.exec(stderr);
  if (fatal) details.fatal = fatal[1].trim();
  const authorize = /Please authorize this client by visiting:\s*(\S+)/.exec(stderr);
  if (authorize) details.authorizationUrl = authorize[1];
  return details;
}

async function main() {
  const opts = args({
    url: { type: 'string' },
    header: { type: 'string', multiple: true },
    call: { type: 'string' },
    args: { type: 'string' },
    transport: { type: 'string' },
    protocol: { type: 'string' },
    timeout: { type: 'string', default: '30000' }
  }, ['url', 'header']);
  const timeout = Number(opts.timeout);
  deadline(timeout, diagnosis);

  const state = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-remote-'));
  process.on('exit', () => rmSync(state, { recursive: true, force: true }));

  const url = new URL(opts.url);
  const proxyArgs = [proxyEntry(), opts.url];
  for (const line of opts.header) proxyArgs.push('--header', line);
  // --debug logs each step to stderr, header values left out; diagnosis() reads it.
  proxyArgs.push('--debug');
  if (opts.transport) proxyArgs.push('--transport', opts.transport);
  if (opts.protocol) proxyArgs.push('--protocol', opts.protocol);
  if (url.protocol === 'http:') proxyArgs.push('--allow-http');

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: proxyArgs,
    // Only PATH, USER, SHELL, TERM and LOGNAME are inherited besides these: no DISPLAY, no desktop.
    env: {
      ...referencedEnv(opts.header),
      HOME: state,
      MCP_REMOTE_CONFIG_DIR: state,
      // xdg-open and sensible-browser run $BROWSER when there is no desktop session.
      BROWSER: 'false'
    },
    cwd: state,
    stderr: 'pipe'
  });
  transport.stderr.on('data', chunk => {
    stderr += chunk;
    process.stderr.write(chunk);
    // It would now wait for a browser sign-in that cannot happen: the credential was refused.
    if (/Waiting for authorization|Waiting for auth code/.test(stderr)) {
      fail('mcp-remote wants an OAuth sign-in: the server refused the credential', diagnosis());
    }
  });
  killOnExit(transport);
  await exercise(new Client({ name: 'gatehouse-mcp-remote-host', version: '1.0.0' }), transport, opts, timeout);
}

main().catch(error => fail(error, error instanceof UsageError ? {} : diagnosis()));
