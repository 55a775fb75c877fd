-- A bid logged, then trends read, in turn. With BENCH_READ_TOKEN the read is of another
-- couple (whose figures the write leaves as they were); else each read finds the
-- figures changed by a write since the last one and computes them afresh.
local token = "Bearer " .. os.getenv("BENCH_TOKEN")
local read_token = os.getenv("BENCH_READ_TOKEN")
local write_path = os.getenv("BENCH_WRITE_PATH")
-- wrk.format's headers replace wrk.headers: each request names its own.
local write_headers = {["Authorization"] = token, ["Content-Type"] = "application/json"}
local read_headers = {["Authorization"] = read_token and ("Bearer " .. read_token) or token}
-- With BENCH_GZIP the read takes gzip, as phones ask for it.
if os.getenv("BENCH_GZIP") then read_headers["Accept-Encoding"] = "gzip" end
local written = false

function request()
  written = not written
  if written then
    return wrk.format("POST", write_path, write_headers, '{"kind":"humor","response":"toward"}')
  end
  return wrk.format("GET", wrk.path, read_headers)
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
