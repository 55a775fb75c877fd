-- A bid logged, then the couple's trends read, in turn: each read finds the figures
-- changed by a write since the last one and computes them afresh.
local token = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Authorization"] = token
local write_path = os.getenv("BENCH_WRITE_PATH")
-- wrk.format's headers replace wrk.headers: the write names its own.
local write_headers = {["Authorization"] = token, ["Content-Type"] = "application/json"}
local written = false

function request()
  written = not written
  if written then
    return wrk.format("POST", write_path, write_headers, '{"kind":"humor","response":"toward"}')
  end
  return wrk.format("GET", wrk.path)
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
