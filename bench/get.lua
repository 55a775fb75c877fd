-- GET with the bench token, for endpoints that need one; counts non-2xx answers.
if os.getenv("BENCH_TOKEN") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
