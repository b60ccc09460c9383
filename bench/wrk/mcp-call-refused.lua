-- wrk script: as mcp-call.lua, but one request in ten carries a credential that is no key (refused from its format alone),
-- so that the refusal path runs under load beside the proxied calls. API_KEY comes from the environment.
local session = os.getenv("MCP_SESSION") or ""
local key = os.getenv("API_KEY") or ""
local body = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}'

local function headers(credential)
  local h = {}
  h["Content-Type"] = "application/json"
  h["Accept"] = "application/json, text/event-stream"
  h["MCP-Protocol-Version"] = "2025-11-25"
  if session ~= "" then
    h["Mcp-Session-Id"] = session
  end
  h["Authorization"] = "Bearer " .. credential
  return h
end

local admitted = wrk.format("POST", nil, headers(key), body)
local refused = wrk.format("POST", nil, headers("not-a-gatehouse-key"), body)
local n = 0

request = function()
  n = n + 1
  if n % 10 == 0 then
    return refused
  end
  return admitted
end
