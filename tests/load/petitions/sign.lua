-- wrk script: each request records one new signature. BENCH_PROOFS_FILE lists
-- "host path cookie" lines (see proofs.rs); thread t of n takes lines t, t+n, t+2n...
-- so no proof is used twice (a line used twice would only say "already signed").
local file = os.getenv("BENCH_PROOFS_FILE")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local lines = {}
local i = 0
local wrapped = 0

-- A signer's browser also holds the site's form-token cookie: it pressed "Sign", a
-- form, on the petition page before going through FranceConnect.
local function form_token()
  local chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
  local t = {}
  for k = 1, 43 do
    local c = math.random(1, #chars)
    t[k] = chars:sub(c, c)
  end
  return "cvf_" .. table.concat(t)
end

function init(args)
  math.randomseed(os.time() + tid)
  local csrf = form_token()
  local n = 0
  for line in io.lines(file) do
    if n % threads == tid then
      local host, path, cookie = line:match("^(%S+) (%S+) (%S+)$")
      lines[#lines + 1] = wrk.format("GET", path, { ["Host"] = host, ["Cookie"] = "civitas_csrf=" .. csrf .. "; civitas_anon=" .. cookie })
    end
    n = n + 1
  end
end

function request()
  i = i + 1
  if i > #lines then
    i = 1
    wrapped = wrapped + 1
  end
  return lines[i]
end
