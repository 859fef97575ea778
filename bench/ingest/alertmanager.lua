-- Alertmanager's POST /api/v2/alerts, as Prometheus sends it: a bare list of
-- BENCH_ALERTS new alerts, active for the next hour.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function request()
  local alertname, stem = next_request()
  local starts, ends = rfc3339(), rfc3339(3600)
  local parts = {}
  for i = 1, per_request do
    parts[i] = "{" .. alert_members(alertname, stem, i) .. ',"startsAt":"' .. starts
      .. '","endsAt":"' .. ends .. '","generatorURL":"http://prometheus.bench:9090/graph"}'
  end
  return post("/api/v2/alerts", "[" .. table.concat(parts, ",") .. "]")
end
