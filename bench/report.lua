-- Shared by the wrk scripts: one line that bench/run.py reads for the failures.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("BENCH non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
