-- Mixed read workload for wrk: dereference 70 %, SPARQL 15 %, search 10 %, validate 5 %.
-- The data file (a Lua chunk written by benchmarks/load.py) is the first script argument; it returns
-- { terms = {paths}, accepts = {media types}, searches = {texts}, queries = {encoded query strings},
--   body = "<Turtle of an example description>" }.
-- Non-2xx/3xx answers are counted by wrk itself (summary.errors.status); done() prints one JSON line.

local data
local requests = {}

local function build()
  local terms, sparql, search = {}, {}, {}
  for _, path in ipairs(data.terms) do
    for _, accept in ipairs(data.accepts) do
      terms[#terms + 1] = wrk.format("GET", path, { ["Accept"] = accept })
    end
  end
  for _, q in ipairs(data.queries) do
    sparql[#sparql + 1] = wrk.format("GET", "/sparql?query=" .. q,
                                     { ["Accept"] = "application/sparql-results+json" })
  end
  for _, text in ipairs(data.searches) do
    search[#search + 1] = wrk.format("GET", "/search?q=" .. text, { ["Accept"] = "application/json" })
  end
  local validate = wrk.format("POST", "/validate", { ["Content-Type"] = "text/turtle",
                                                    ["Accept"] = "application/json" }, data.body)
  requests = { terms = terms, sparql = sparql, search = search, validate = validate }
end

function init(args)
  data = dofile(args[1])
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  build()
end

function request()
  local r = math.random(100)
  if r <= 70 then
    return requests.terms[math.random(#requests.terms)]
  elseif r <= 85 then
    return requests.sparql[math.random(#requests.sparql)]
  elseif r <= 95 then
    return requests.search[math.random(#requests.search)]
  end
  return requests.validate
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
