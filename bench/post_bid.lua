-- POST a new bid with a client-chosen id, as an offline-first client does.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

local kinds = {"attention", "affection", "humor", "support", "conversation", "interest"}
local responses = {"toward", "toward", "toward", "toward", "away", "against"}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function request()
  local body = string.format('{"id":"%s","kind":"%s","response":"%s"}',
    uuid4(), kinds[math.random(#kinds)], responses[math.random(#responses)])
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
