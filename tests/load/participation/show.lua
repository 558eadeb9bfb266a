-- wrk script: proposal pages with their comments, a random one of the paths listed
-- (one a line) in BENCH_PATHS_FILE, on BENCH_HOST.
local host = os.getenv("BENCH_HOST")
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(104729 * ((tid or 0) + 1))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], { ["Host"] = host })
end
