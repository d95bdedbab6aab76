-- wrk script of bench/serving.sh: every request a random (market, user) from $USERS ("market user" per
-- line); PATH=recommendations asks for the top $K, PATH=scores posts $N random items of the market
-- from $ITEMS ("market item" per line) to score.
local users, items = {}, {}
for l in io.lines(os.getenv("USERS")) do users[#users + 1] = l end
if os.getenv("ITEMS") then
  for l in io.lines(os.getenv("ITEMS")) do
    local m, i = l:match("(%S+) (%S+)")
    items[m] = items[m] or {}
    table.insert(items[m], i)
  end
end
local path = os.getenv("PATH_KIND") or "recommendations"
local k = os.getenv("K") or "10"
local n = tonumber(os.getenv("N") or "100")
math.randomseed(42)
request = function()
  local m, u = users[math.random(#users)]:match("(%S+) (%S+)")
  if path == "scores" then
    local pick, pool = {}, items[m]
    for j = 1, n do pick[j] = '"' .. pool[math.random(#pool)] .. '"' end
    return wrk.format("POST", "/scores/" .. m .. "/" .. u, {["Content-Type"] = "application/json"},
      '{"items": [' .. table.concat(pick, ",") .. ']}')
  end
  return wrk.format("GET", "/recommendations/" .. m .. "/" .. u .. "?k=" .. k)
end
