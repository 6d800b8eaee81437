-- wrk script for bench/webhook.py: replays pre-signed WeChat requests, each once, one per line of
-- the file in STEWARD_WRK_REQUESTS ("<query>\t<body>", sent to the URL's path); with n threads,
-- thread k takes lines k, k+n, ….
-- Answers whose body does not start with STEWARD_WRK_EXPECT count as errors ("bad"), and running
-- out of requests is reported ("wrapped") so a run can never quietly resend a MsgId.

local threads = {}
local nthreads = tonumber(os.getenv("STEWARD_WRK_THREADS") or "1")
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs, pos, bad, wrapped = {}, 0, 0, 0
  expect = os.getenv("STEWARD_WRK_EXPECT") or ""
  local i = 0
  for line in io.lines(os.getenv("STEWARD_WRK_REQUESTS")) do
    if i % nthreads == id then
      local tab = line:find("\t", 1, true)
      reqs[#reqs + 1] = wrk.format("POST", wrk.path .. "?" .. line:sub(1, tab - 1), {["Content-Type"] = "text/xml"},
                                   line:sub(tab + 1))
    end
    i = i + 1
  end
end

function request()
  pos = pos + 1
  if pos > #reqs then
    pos, wrapped = 1, wrapped + 1
  end
  return reqs[pos]
end

function response(status, headers, body)
  if status == 200 and body:sub(1, #expect) ~= expect then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b, w = 0, 0
  for _, t in ipairs(threads) do
    b, w = b + t:get("bad"), w + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50=%d p95=%d p99=%d max=%d connect=%d read=%d write=%d status=%d timeout=%d bad=%d wrapped=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, b, w))
end
