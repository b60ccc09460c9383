-- wrk script: one small MCP tool call (tools/call echo) per request, on a session opened beforehand
-- by bench/run-proxy (none for the static upstream, which keeps no sessions). MCP_SESSION and (for Gatehouse) API_KEY come from the environment, never
-- from the command line. No response() callback (client CPU); wrk counts non-2xx answers itself.
local session = os.getenv("MCP_SESSION") or ""
local key = os.getenv("API_KEY") or ""

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
if session ~= "" then
  wrk.headers["Mcp-Session-Id"] = session
end
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
wrk.body = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}'
