// The official MCP conformance suite (@modelcontextprotocol/conformance), server mode, summarised
// as one JSON line.
//
//   node conformance.mjs --url URL [--header "Name: value"]... [--scenario NAME]...
//                        [--suite active|all|core|pending] [--spec-version 2025-06-18|2025-11-25]
//                        [--timeout MS]
//
// Without --scenario the suite runs (default "active": every server scenario but the pending
// json-schema-2020-12 and server-sse-polling). The suite has no option for request headers, so
// with --header the script puts a small loopback forwarder in front of URL that adds them
// (${NAME} placeholders expanded from the environment) and otherwise passes requests and
// streamed responses through unchanged, Host and Origin rewritten to name URL's origin.
//
// Last stdout line: {"passed": [scenario], "failed": [{"name", "reason"}], "warnings": [{"name", "reason"}],
//                    "checks": {"passed": n, "failed": n}, "exitCode": suite's exit code}
// exit 0 when no scenario failed, 1 otherwise.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, deadline, fail, finish, headers, succeed } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** The suite's `conformance` bin, as npx would run it. */
function suiteEntry() {
  const root = join(here, 'node_modules', '@modelcontextprotocol', 'conformance');
  return join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.conformance);
}

/** A loopback forwarder to `target` that adds `extra` headers; resolves to its own base URL. */
function forwarder(target, extra) {
  const send = target.protocol === 'https:' ? https.request : http.request;
  const added = Object.fromEntries(Object.entries(extra).map(([name, value]) => [name.toLowerCase(), value]));
  let self; // host:port of the forwarder, known once it listens
  const server = http.createServer((req, res) => {
    const out = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) out[name] = value;
    }
    // The suite addresses the forwarder; upstream must see its own origin, except where the
    // suite names another host on purpose (dns-rebinding-protection).
    if (out.host === self) out.host = target.host;
    if (out.origin === `http://${self}`) out.origin = target.origin;
    Object.assign(out, added);
    const upstream = send(target, { method: req.method, path: req.url, headers: out }, up => {
      const raw = [];
      for (let i = 0; i < up.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(up.rawHeaders[i].toLowerCase())) raw.push(up.rawHeaders[i], up.rawHeaders[i + 1]);
      }
      res.writeHead(up.statusCode, up.statusMessage, raw);
      res.flushHeaders();
      up.pipe(res);
    });
    upstream.on('error', error => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`forwarder: ${error.message}`);
    });
    // A client that hangs up (SSE cancel) hangs up upstream too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise(resolve => {
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      self = `127.0.0.1:${server.address().port}`;
      resolve(`http://${self}`);
    });
  });
}

/** Runs the suite once; its own output goes to our stderr. */
function runSuite(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [suiteEntry(), 'server', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
    child.on('error', reject);
    child.on('close', code => resolve(code ?? 1));
  });
}

/** The checks.json files the suite wrote (one directory per scenario: server-<name>-<timestamp>). */
function results(dir) {
  return readdirSync(dir).sort().map(entry => ({
    name: entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, ''),
    checks: JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8'))
  }));
}

function reasons(checks, status) {
  return checks.filter(c => c.status === status).map(c => `${c.id}: ${c.errorMessage ?? c.description}`).join('; ');
}

async function main() {
  const opts = args({
    url: { type: 'string' },
    header: { type: 'string', multiple: true },
    scenario: { type: 'string', multiple: true },
    suite: { type: 'string' },
    'spec-version': { type: 'string' },
    timeout: { type: 'string', default: '300000' }
  }, ['url']);
  deadline(Number(opts.timeout));

  const target = new URL(opts.url);
  const extra = headers(opts.header);
  const url = Object.keys(extra).length === 0
    ? target.href
    : (await forwarder(target, extra)) + target.pathname + target.search;

  const out = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const common = ['--url', url, '-o', out];
  if (opts['spec-version']) common.push('--spec-version', opts['spec-version']);

  let exitCode = 0;
  if (opts.scenario) {
    for (const scenario of opts.scenario) {
      exitCode = Math.max(exitCode, await runSuite([...common, '--scenario', scenario]));
    }
  } else {
    exitCode = await runSuite([...common, ...(opts.suite ? ['--suite', opts.suite] : [])]);
  }

  const summary = { passed: [], failed: [], warnings: [], checks: { passed: 0, failed: 0 }, exitCode };
  for (const { name, checks } of results(out)) {
    summary.checks.passed += checks.filter(c => c.status === 'SUCCESS').length;
    summary.checks.failed += checks.filter(c => c.status === 'FAILURE').length;
    const failures = reasons(checks, 'FAILURE');
    if (failures) summary.failed.push({ name, reason: failures });
    else summary.passed.push(name);
    const warnings = reasons(checks, 'WARNING');
    if (warnings) summary.warnings.push({ name, reason: warnings });
  }
  if (summary.passed.length + summary.failed.length === 0) {
    fail(`the suite wrote no results (exit ${exitCode}); see stderr`);
  } else if (summary.failed.length > 0 || exitCode !== 0) {
    finish(1, summary);
  } else {
    succeed(summary);
  }
}

main().catch(error => fail(error));
