-- wrk script: GET /healthz, the baseline: the same server, HTTP stack, access-log filter and JSON
-- writer, no credential check. wrk reports non-2xx answers itself.
wrk.method = "GET"
wrk.path = "/healthz"

-- Pacing: with WRK_DELAY_MS set, each connection waits that long after an answer before its next
-- request, so a given number of connections holds a rate well below the maximum (wrk 4.1 has no -R).
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pace > 0 then
  function delay()
    return pace
  end
end
