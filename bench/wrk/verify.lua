-- wrk script: POST /v1/keys/verify, checking VERIFY_KEY with ADMIN_KEY as the caller's credential.
-- Both keys come from the environment (bench/run-wrk sets them), never from the command line.
-- No response() callback on purpose: it would make wrk hand every answer to Lua, costing client
-- CPU on the same two cores the server runs on. wrk prints "Non-2xx or 3xx responses" by itself,
-- and bench/run-wrk checks one answer with curl before measuring.
local admin = os.getenv("ADMIN_KEY") or error("ADMIN_KEY is not set")
local key = os.getenv("VERIFY_KEY") or admin

wrk.method = "POST"
wrk.path = "/v1/keys/verify"
wrk.headers["Authorization"] = "Bearer " .. admin
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"key": "' .. key .. '"}'

-- Pacing: with WRK_DELAY_MS set, each connection waits that long after an answer before its next
-- request, so a given number of connections holds a rate well below the maximum (wrk 4.1 has no -R).
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pace > 0 then
  function delay()
    return pace
  end
end
