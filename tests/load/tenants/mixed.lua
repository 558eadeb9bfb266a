-- wrk script for the many-tenant run: requests spread over the first BENCH_N tenants
-- of BENCH_SITES_FILE ("<host> <component path>" a line), each with its own Host:
-- in every 11 requests, 10 reads (home page, processes, the proposals list with a
-- new order seed, the petitions list, a petition page) and one write, a petition
-- signature with a proof from BENCH_PROOFS_FILE ("<host> <path> <cookie>", one new
-- person each; thread t of n takes lines t, t+n...). Tenants are taken at random.
local n = tonumber(os.getenv("BENCH_N"))
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local sites = {}
for line in io.lines(os.getenv("BENCH_SITES_FILE")) do
  local host, list = string.match(line, "^(%S+) (%S+)$")
  if host and #sites < n then sites[#sites + 1] = { host = host, list = list } end
end
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local proofs = {}
local k = 0
local i = 0

function init(args)
  math.randomseed(7 * ((tid or 0) + 1))
  local line_no = 0
  for line in io.lines(os.getenv("BENCH_PROOFS_FILE")) do
    if line_no % threads == tid then
      local host, path, cookie = string.match(line, "^(%S+) (%S+) (%S+)$")
      proofs[#proofs + 1] = wrk.format("GET", path, { ["Host"] = host, ["Cookie"] = "civitas_anon=" .. cookie })
    end
    line_no = line_no + 1
  end
end

function request()
  i = i + 1
  if i % 11 == 0 and k < #proofs then
    k = k + 1
    return proofs[k]
  end
  local s = sites[math.random(1, #sites)]
  local r = i % 5
  if r == 0 then
    return wrk.format("GET", "/", { ["Host"] = s.host })
  elseif r == 1 then
    return wrk.format("GET", "/processes", { ["Host"] = s.host })
  elseif r == 2 then
    local seed = string.format("%d", math.random(1, 4000000000))
    return wrk.format("GET", s.list, { ["Host"] = s.host, ["Cookie"] = "civitas_order_seed=" .. seed })
  elseif r == 3 then
    return wrk.format("GET", "/petitions", { ["Host"] = s.host })
  else
    return wrk.format("GET", "/petitions/1", { ["Host"] = s.host })
  end
end
