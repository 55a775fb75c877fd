-- POST a batch of bids (the body in the file BENCH_BODY), as a phone that was offline
-- sends what it logged. The items carry no id, so each request stores all of them anew.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
