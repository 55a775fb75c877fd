-- A bid logged, then the couple's trends read, in turn: each read finds the figures
-- changed by a write since the last one and computes them afresh.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local write_path = os.getenv("BENCH_WRITE_PATH")
local written = false

function request()
  written = not written
  if written then
    return wrk.format("POST", write_path, {["Content-Type"] = "application/json"},
      '{"kind":"humor","response":"toward"}')
  end
  return wrk.format("GET", wrk.path)
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
