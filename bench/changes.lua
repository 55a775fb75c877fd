-- A phone's sync from nothing, page after page of the changes feed (BENCH_LIMIT items
-- each), over and over: each answer's next_cursor is the next request's cursor until
-- has_more is false. Counts non-2xx answers and whole syncs.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local limit = os.getenv("BENCH_LIMIT")
local cursor = nil
syncs = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  local path = wrk.path .. "?limit=" .. limit
  if cursor then
    path = path .. "&cursor=" .. cursor
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then
    cursor = nil
    return
  end
  if body:find('"has_more":true', 1, true) then
    cursor = body:match('"next_cursor":"([^"]+)"')
  else
    cursor = nil
    syncs = syncs + 1
  end
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
local report = done

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("syncs")
  end
  io.write(string.format("BENCH syncs=%d\n", total))
  report(summary, latency, requests)
end
