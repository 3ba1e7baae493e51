-- wrk script for bench/http/compare.sh. KIND (environment) picks the request and what a good
-- answer is; every answer is checked, and the summary prints CHECK and LAT lines.
--   token       POST client_credentials with HTTP Basic ($BASIC); 200 with an access_token
--   introspect  POST token=$TOKEN with HTTP Basic; 200 with "active":true
--   refused     POST client_credentials naming a 60 KB client_id; a 4xx answer (issue 14)
--   get         GET the URL; 200
-- STOP_AFTER=N stops after N answers and creates $STOP_FILE (the memory phases).
local kind = os.getenv("KIND") or "get"
local basic = "Basic " .. (os.getenv("BASIC") or "")
local form = "application/x-www-form-urlencoded"

if kind == "token" then
  wrk.method, wrk.body = "POST", "grant_type=client_credentials&scope=read"
  wrk.headers["Content-Type"], wrk.headers["Authorization"] = form, basic
elseif kind == "introspect" then
  wrk.method, wrk.body = "POST", "token=" .. (os.getenv("TOKEN") or "") .. "&token_type_hint=access_token"
  wrk.headers["Content-Type"], wrk.headers["Authorization"] = form, basic
elseif kind == "refused" then
  wrk.method = "POST"
  wrk.body = "grant_type=client_credentials&scope=read&client_secret=x&client_id=" .. string.rep("A", 60 * 1024)
  wrk.headers["Content-Type"] = form
end

local good = {
  token = function(status, body) return status == 200 and body:find('"access_token"%s*:%s*"[%w%-_%.]+"') ~= nil end,
  introspect = function(status, body) return status == 200 and body:find('"active"%s*:%s*true') ~= nil end,
  refused = function(status) return status >= 400 and status < 500 end,
  get = function(status) return status == 200 end,
}
local check = good[kind]

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() ok, bad, seen = 0, 0, 0; stop_after = tonumber(os.getenv("STOP_AFTER") or "0") end
function response(status, headers, body)
  if check(status, body) then ok = ok + 1 else bad = bad + 1 end
  seen = seen + 1
  if stop_after > 0 and seen >= stop_after then
    local file = os.getenv("STOP_FILE")
    if file then local h = io.open(file, "w"); h:write("done\n"); h:close() end
    wrk.thread:stop()
  end
end
function done(summary, latency)
  local ok_total, bad_total = 0, 0
  for _, t in ipairs(threads) do ok_total = ok_total + t:get("ok"); bad_total = bad_total + t:get("bad") end
  io.write(string.format("CHECK kind=%s good=%d bad=%d\n", kind, ok_total, bad_total))
  io.write(string.format("LAT p50=%.0fus p90=%.0fus p99=%.0fus max=%.0fus\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
