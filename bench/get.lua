-- GET with the bench token, for endpoints that need one; counts non-2xx answers.
if os.getenv("BENCH_TOKEN") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("BENCH non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
