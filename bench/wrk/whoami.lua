-- wrk script: GET /v1/whoami, the authenticated no-op: the door's data-plane check and a small JSON
-- answer. The key comes from the environment (bench/run-wrk sets it), never from the command line.
-- No response() callback on purpose (client CPU); wrk reports non-2xx answers itself.
local key = os.getenv("API_KEY") or error("API_KEY is not set")

wrk.method = "GET"
wrk.path = "/v1/whoami"
wrk.headers["Authorization"] = "Bearer " .. key

-- Pacing: with WRK_DELAY_MS set, each connection waits that long after an answer before its next
-- request, so a given number of connections holds a rate well below the maximum (wrk 4.1 has no -R).
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pace > 0 then
  function delay()
    return pace
  end
end
