// An MCP client configuration file read the way the client that owns the format reads it, then used
// with the MCP TypeScript SDK: the set-up Gatehouse prints, tested as pasted.
//
//   node client-config.mjs --file PATH --client cursor|windsurf|vscode|claude-desktop --name NAME
//                          [--input ID=ENVVAR]... [--call TOOL [--args JSON]] [--timeout MS]
//
//   cursor, windsurf  mcpServers.NAME.{url | serverUrl, headers}: Streamable HTTP with those headers
//   vscode            servers.NAME.{type: "http", url, headers}; "${input:ID}" in a header is what VS Code
//                     asks the person for (inputs[] of type promptString): --input ID=ENVVAR answers it
//                     from an environment variable, so the secret is never on a command line
//   claude-desktop    mcpServers.NAME.{command, args, env}: the command is spawned as Claude Desktop does,
//                     with env added to a minimal environment, and spoken to over stdio. node_modules'
//                     Node 22 comes first on PATH, and npx, run here, finds mcp-remote installed locally.
//
// Last stdout line, exit 0: {"server": {name, version}, "tools": [names], "result": CallToolResult?}
// exit 1: {"error", "stderrTail"?}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UsageError, args, deadline, exercise, fail, killOnExit } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let stderr = '';

function entry(config, client, name) {
  const table = client === 'vscode' ? config.servers : config.mcpServers;
  if (!table || typeof table !== 'object' || !table[name]) {
    throw new UsageError(`no server named ${name} under ${client === 'vscode' ? 'servers' : 'mcpServers'}`);
  }
  return table[name];
}

/** VS Code's ${input:ID} placeholders, answered from the variables --input names. */
function answerInputs(config, value, inputs) {
  return value.replace(/\$\{input:([^}]+)\}/g, (_, id) => {
    const declared = (config.inputs ?? []).find(i => i.id === id);
    if (!declared || declared.type !== 'promptString') throw new Error(`input ${id} is not a declared promptString`);
    if (declared.password !== true) throw new Error(`input ${id} would be shown while typed: password is not true`);
    const variable = inputs[id];
    if (!variable || !Object.hasOwn(process.env, variable)) throw new UsageError(`--input ${id}=ENVVAR is needed`);
    return process.env[variable];
  });
}

function httpTransport(server, config, client, inputs) {
  const url = client === 'windsurf' ? server.serverUrl : server.url;
  if (client === 'vscode' && server.type !== 'http') throw new Error(`type must be "http", got ${server.type}`);
  if (typeof url !== 'string') throw new Error(`no ${client === 'windsurf' ? 'serverUrl' : 'url'}`);
  const headers = {};
  for (const [key, value] of Object.entries(server.headers ?? {})) {
    headers[key] = client === 'vscode' ? answerInputs(config, value, inputs) : value;
  }
  return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
}

function stdioTransport(server, state) {
  if (typeof server.command !== 'string' || !Array.isArray(server.args)) throw new Error('command and args are needed');
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: {
      ...(server.env ?? {}),
      PATH: `${join(here, 'node_modules', 'node', 'bin')}:${process.env.PATH}`,
      HOME: state,
      MCP_REMOTE_CONFIG_DIR: state,
      npm_config_cache: join(state, 'npm-cache'),
      BROWSER: 'false'
    },
    cwd: here,
    stderr: 'pipe'
  });
  transport.stderr.on('data', chunk => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  killOnExit(transport);
  return transport;
}

async function main() {
  const opts = args({
    file: { type: 'string' },
    client: { type: 'string' },
    name: { type: 'string' },
    input: { type: 'string', multiple: true },
    call: { type: 'string' },
    args: { type: 'string' },
    timeout: { type: 'string', default: '60000' }
  }, ['file', 'client', 'name']);
  const timeout = Number(opts.timeout);
  deadline(timeout, () => ({ stderrTail: stderr.slice(-4000) }));
  const inputs = Object.fromEntries((opts.input ?? []).map(i => i.split('=', 2)));
  const config = JSON.parse(readFileSync(opts.file, 'utf8'));
  const server = entry(config, opts.client, opts.name);
  const state = mkdtempSync(join(tmpdir(), 'gatehouse-client-config-'));
  process.on('exit', () => rmSync(state, { recursive: true, force: true }));

  let transport;
  switch (opts.client) {
    case 'cursor':
    case 'windsurf':
    case 'vscode':
      transport = httpTransport(server, config, opts.client, inputs);
      break;
    case 'claude-desktop':
      transport = stdioTransport(server, state);
      break;
    default:
      throw new UsageError(`--client must be cursor, windsurf, vscode or claude-desktop, got ${opts.client}`);
  }
  await exercise(new Client({ name: `gatehouse-${opts.client}-config`, version: '1.0.0' }), transport, opts, timeout);
}

main().catch(error => fail(error, { stderrTail: stderr.slice(-4000) }));
