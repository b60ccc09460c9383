// Shared by the client scripts: arguments, headers whose secrets come from the environment, and the
// one JSON line each script ends with (io.gatehouse.testing.NodeClients reads the last stdout line).

import { parseArgs } from 'node:util';

// Libraries may log with console.log; stdout belongs to the final JSON line alone.
console.log = console.error;
console.info = console.error;

/** node:util parseArgs over process.argv, strict; `required` names options that must be given. */
export function args(options, required = []) {
  let values;
  try {
    values = parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  for (const name of required) {
    if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  return values;
}

/**
 * `${NAME}` placeholders replaced from the environment, so a secret never has to appear on a
 * command line (the same convention mcp-remote uses for its --header values). A placeholder
 * without a variable is an error rather than a literal that would be sent as a credential.
 */
export function expandEnv(value) {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
    if (!Object.hasOwn(process.env, name)) {
      throw new UsageError(`environment variable ${name} is not set`);
    }
    return process.env[name];
  });
}

/** `Name: value` lines (repeatable --header) as a header object, values expanded from the environment. */
export function headers(lines = []) {
  const result = {};
  for (const line of lines) {
    const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+):\s*(.*)$/.exec(line);
    if (!match) {
      throw new UsageError(`--header must look like "Name: value", got ${JSON.stringify(line.split(':')[0])}…`);
    }
    result[match[1]] = expandEnv(match[2]);
  }
  return result;
}

/** --args as a JSON object (tool arguments). */
export function jsonObject(text, what) {
  if (text === undefined) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return value;
}

export class UsageError extends Error {}

/** Prints the result as the last stdout line and exits 0. */
export function succeed(result) {
  finish(0, result);
}

/** Prints {error, ...details} as the last stdout line and exits 1 (2 for a usage error). */
export function fail(error, details = {}) {
  const message = error instanceof Error ? error.message : String(error);
  finish(error instanceof UsageError ? 2 : 1, { error: message, ...details });
}

/** Fails with "timed out" once `ms` have passed, whatever the script is waiting on. */
export function deadline(ms, details = () => ({})) {
  // Not unref'd: the script always ends through succeed() or fail(), never by running dry.
  setTimeout(() => fail(`timed out after ${ms} ms`, details()), ms);
}

let finished = false;

/** Prints `object` as the last stdout line and exits with `code`; only the first call counts. */
export function finish(code, object) {
  if (finished) return;
  finished = true;
  process.stdout.write(`${JSON.stringify(object)}\n`, () => process.exit(code));
}

/** Milliseconds since `start`, rounded. */
export function since(start) {
  return Math.round(performance.now() - start);
}

/** A spawned stdio server outlives a host that just exits; it must not outlive the script. */
export function killOnExit(transport) {
  process.on('exit', () => {
    if (transport.pid) {
      try {
        process.kill(transport.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Connects `client` over `transport`, lists the tools and calls --call with --args if given;
 * succeeds with {server, tools, result?}. Closes the client either way; a failure is rethrown.
 */
export async function exercise(client, transport, opts, timeout) {
  try {
    await client.connect(transport, { timeout });
    const out = { server: client.getServerVersion() ?? null };
    out.tools = (await client.listTools(undefined, { timeout })).tools.map(tool => tool.name);
    if (opts.call) {
      out.result = await client.callTool({ name: opts.call, arguments: jsonObject(opts.args, '--args') }, undefined, { timeout });
    }
    await client.close();
    succeed(out);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}
