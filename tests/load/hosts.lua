-- wrk script: each request goes to the next of N tenant hosts (bench000.test ...),
-- so every request asks for a different tenant than the one before.
local tenants = tonumber(os.getenv("CIVITAS_BENCH_TENANTS") or "100")
local counter = 0

function setup(thread)
  thread:set("offset", counter * 37)
  counter = counter + 1
end

function init(args)
  i = offset or 0
end

function request()
  i = (i + 1) % tenants
  return wrk.format("GET", "/", { ["Host"] = string.format("bench%03d.test", i) })
end
