-- wrk -s benchmarks/latency.lua: print one JSON line with p50/p95/p99 (wrk itself prints
-- 50/75/90/99 only) and count every answer that is not 200 (wrk counts only >= 400 as errors,
-- so a redirect to the sign-in page would otherwise pass unnoticed).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   not_ok = 0
end

function response(status, headers, body)
   if status ~= 200 then
      not_ok = not_ok + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("not_ok")
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "socket_errors": %d, "not_200": %d, ' ..
      '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, bad,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.mean, latency.max))
end
