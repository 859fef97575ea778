-- fireline's POST /ingest/{key}: the same alerts as alertmanager.lua, in the
-- envelope Alertmanager's webhook receiver sends (version "4").
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = "/ingest/" .. key

function request()
  local alertname, stem = next_request()
  local starts = rfc3339()
  local parts = {}
  for i = 1, per_request do
    parts[i] = '{"status":"firing",' .. alert_members(alertname, stem, i) .. ',"startsAt":"'
      .. starts .. '","endsAt":"0001-01-01T00:00:00Z",'
      .. '"generatorURL":"http://prometheus.bench:9090/graph","fingerprint":"'
      .. fingerprint(i) .. '"}'
  end
  local group = '{"alertname":"' .. alertname .. '","service":"bench"}'
  local body = '{"version":"4","groupKey":"{}:{alertname=\\"' .. alertname
    .. '\\", service=\\"bench\\"}","truncatedAlerts":0,"status":"firing",'
    .. '"receiver":"fireline","groupLabels":' .. group
    .. ',"commonLabels":{"alertname":"' .. alertname
    .. '","service":"bench","job":"node","severity":"warning"},"commonAnnotations":{},'
    .. '"externalURL":"http://alertmanager.bench:9093","alerts":['
    .. table.concat(parts, ",") .. "]}"
  return post(path, body)
end
