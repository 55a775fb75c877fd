-- A flood of registrations, each followed by a failed login of the same email, from
-- ever new addresses (written into X-Forwarded-For: the bench server trusts 127.0.0.1
-- as its proxy), sent as fast as they are answered, ignoring Retry-After.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
  counts = {}
  sent = 0
  email = ""
end

function request()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("198.%d.%d.%d",
      math.random(18, 19), math.random(0, 255), math.random(1, 254)),
  }
  if sent % 2 == 1 then
    email = string.format("flood-%08x-%d@bench.example", math.random(0, 0x7fffffff), sent)
    local body = string.format(
      '{"email":"%s","password":"a flood password","display_name":"Flood"}', email)
    return wrk.format("POST", "/api/v1/auth/register", headers, body)
  end
  local body = string.format('{"email":"%s","password":"not the password"}', email)
  return wrk.format("POST", "/api/v1/auth/login", headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + count
    end
  end
  io.write("FLOOD")
  for status, count in pairs(total) do
    io.write(string.format(" %d=%d", status, count))
  end
  io.write("\n")
end
