-- wrk script: the proposals list of one component, random order (the default), each
-- request with its own seed cookie (a new visitor's order), a category filter on 70 %
-- of them (one of the space's categories) and a page: mostly the first five, one
-- request in ten anywhere in the list.
--   BENCH_HOST        the tenant's host
--   BENCH_LIST        the component's path, /processes/<slug>/f/<id>
--   BENCH_CATEGORIES  "<category id>:<pages>,..." and BENCH_ALL_PAGES (no filter)
local host = os.getenv("BENCH_HOST")
local base = os.getenv("BENCH_LIST")
local all_pages = tonumber(os.getenv("BENCH_ALL_PAGES") or "1")
local cats = {}
for id, pages in string.gmatch(os.getenv("BENCH_CATEGORIES") or "", "(%d+):(%d+)") do
  cats[#cats + 1] = { id = id, pages = tonumber(pages) }
end
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(7919 * ((tid or 0) + 1))
end

local function page_of(pages)
  if math.random() < 0.9 then
    return math.random(0, math.min(pages, 5) - 1)
  end
  return math.random(0, pages - 1)
end

function request()
  local path
  if #cats > 0 and math.random() < 0.7 then
    local c = cats[math.random(#cats)]
    path = base .. "?category=" .. c.id .. "&page=" .. page_of(c.pages)
  else
    path = base .. "?page=" .. page_of(all_pages)
  end
  local seed = string.format("%d", math.random(1, 4000000000))
  return wrk.format("GET", path, { ["Host"] = host, ["Cookie"] = "civitas_order_seed=" .. seed })
end
