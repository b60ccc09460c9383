-- wrk script: the refresh_token grant (RFC 6749 §6) as a client does it, each refresh presenting the
-- refresh token the previous one returned, so every request rotates a token used for the first time.
-- A confidential client's HTTP Basic authentication. TOKEN_PATH, CLIENT_BASIC and REFRESH_TOKENS
-- (space-separated, one per connection and one more per thread) come from the environment
-- (bench/run-oauth).
--
-- Each thread keeps a queue of live refresh tokens: a request takes one, its answer puts the new one
-- back. wrk calls response() before the next request() on a connection, so a thread with n
-- connections needs n tokens, and the first thread one more: wrk calls its request() once to check
-- the script, and that token is never sent. A thread that runs out (a refused refresh puts nothing
-- back) presents the last token again: a reuse, which the server refuses, so a broken chain shows
-- as non-2xx answers rather than as a faster run.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local queue = {}
local last = nil

function init(args)
  local all = {}
  for token in string.gmatch(os.getenv("REFRESH_TOKENS") or error("REFRESH_TOKENS is not set"), "%S+") do
    table.insert(all, token)
  end
  local count = tonumber(os.getenv("WRK_THREADS") or error("WRK_THREADS is not set"))
  for i = 1, #all do
    if (i - 1) % count == index then
      table.insert(queue, all[i])
    end
  end
  if #queue == 0 then
    error("no refresh token for thread " .. index)
  end
  wrk.method = "POST"
  wrk.path = os.getenv("TOKEN_PATH") or error("TOKEN_PATH is not set")
  wrk.headers["Authorization"] = os.getenv("CLIENT_BASIC") or error("CLIENT_BASIC is not set")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local token = table.remove(queue, 1) or last
  last = token
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  if status == 200 then
    local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
    if token then
      table.insert(queue, token)
    end
  end
end
