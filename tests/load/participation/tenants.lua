-- wrk script: the proposals list of every tenant in turn, each request with another
-- Host than the one before, a new seed cookie, and a category filter on half of them.
-- BENCH_TENANTS_FILE: one "<host> <component path> <category id>" a line.
local rows = {}
for line in io.lines(os.getenv("BENCH_TENANTS_FILE")) do
  local host, path, cat = string.match(line, "^(%S+) (%S+) (%d+)$")
  if host then rows[#rows + 1] = { host = host, path = path, cat = cat } end
end
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  i = (tid or 0) * 37
  math.randomseed(31 * ((tid or 0) + 1))
end

function request()
  i = i % #rows + 1
  local r = rows[i]
  local path = r.path
  if math.random() < 0.5 then path = path .. "?category=" .. r.cat end
  local seed = string.format("%d", math.random(1, 4000000000))
  return wrk.format("GET", path, { ["Host"] = r.host, ["Cookie"] = "civitas_order_seed=" .. seed })
end
