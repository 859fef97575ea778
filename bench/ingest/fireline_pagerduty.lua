-- fireline's POST /v2/enqueue: one PagerDuty Events v2 trigger per request,
-- each with a dedup_key of its own (the same alert as alertmanager.lua with
-- BENCH_ALERTS=1).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function request()
  local alertname, stem = next_request()
  local instance = stem .. "-1"
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"'
    .. instance .. '","payload":{"summary":"' .. alertname .. " on " .. instance
    .. '","source":"' .. instance .. '","severity":"warning","component":"node",'
    .. '"group":"' .. alertname .. '","class":"bench","timestamp":"' .. rfc3339()
    .. '","custom_details":{"service":"bench","runbook":"https://runbooks.example/bench"}}}'
  return post("/v2/enqueue", body)
end
