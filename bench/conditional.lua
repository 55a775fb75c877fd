-- GET with the bench token and If-None-Match: BENCH_ETAG, the tag the answer has: each
-- answer should be a 304 with no body. Any other status counts as a failure.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["If-None-Match"] = os.getenv("BENCH_ETAG")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  other = 0
end

function response(status, headers, body)
  if status ~= 304 then
    other = other + 1
  end
end

function done(summary, latency, requests)
  local unexpected = 0
  for _, thread in ipairs(threads) do
    unexpected = unexpected + thread:get("other")
  end
  local errors = summary.errors
  io.write(string.format("BENCH non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    unexpected, errors.connect, errors.read, errors.write, errors.timeout))
end
