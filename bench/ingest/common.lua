-- Shared by the ingestion benchmark's wrk scripts (see run.py).
--
-- Every request carries alerts no earlier request carried: label sets and
-- fingerprints are made of the run's name, the wrk thread, a per-thread
-- request counter and the alert's place in the request. Responses are counted
-- per thread (2xx or not; "made" counts the requests built, so the ones
-- still in flight when wrk stopped are made - ok - other), and done() writes one JSON summary to
-- $BENCH_RESULT, with latency percentiles in microseconds.
--
-- Settings come from the environment:
--   BENCH_RUN        a word that makes this run's alerts distinct
--   BENCH_ALERTS     alerts per request
--   BENCH_KEY        the fireline integration key
--   BENCH_QUOTA      stop a thread once this many of its alerts were answered 2xx (0: never)
--   BENCH_RESULT     where done() writes its JSON

run = os.getenv("BENCH_RUN") or "run"
per_request = tonumber(os.getenv("BENCH_ALERTS") or "1")
key = os.getenv("BENCH_KEY") or ""
quota = tonumber(os.getenv("BENCH_QUOTA") or "0")
alertnames = 20

local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("thread_id", created)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok = 0
  other = 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    if quota > 0 and ok * per_request >= quota then
      wrk.thread:stop()
    end
  else
    other = other + 1
    if other <= 3 then
      io.stderr:write("non-2xx answer ", status, ": ", string.sub(body or "", 1, 300), "\n")
    end
  end
end

-- The next request's identity: its alertname and the stem of its alerts' names.
function next_request()
  counter = counter + 1
  local alertname = string.format("BenchAlert%02d", counter % alertnames)
  local stem = run .. "-" .. thread_id .. "-" .. counter
  return alertname, stem
end

function rfc3339(offset)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + (offset or 0))
end

function fingerprint(i)
  return string.format("%04x%04x%08x", thread_id, i, counter)
end

-- Labels and annotations of alert i of a request, as JSON members.
function alert_members(alertname, stem, i)
  local instance = stem .. "-" .. i
  return '"labels":{"alertname":"' .. alertname .. '","service":"bench","instance":"'
    .. instance .. '","job":"node","severity":"warning"},'
    .. '"annotations":{"summary":"' .. alertname .. ' on ' .. instance
    .. '","runbook":"https://runbooks.example/bench"}'
end

function post(path, body)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local answered, refused, sent = 0, 0, 0
  for _, thread in ipairs(threads) do
    answered = answered + (thread:get("ok") or 0)
    refused = refused + (thread:get("other") or 0)
    sent = sent + (thread:get("counter") or 0)
  end
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"ok":%d,"other":%d,"made":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}',
    summary.requests, summary.duration, answered, refused, sent, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
  out:close()
end
