-- wrk: POST /api/secrets with a valid payload of $ONCELINK_BENCH_SIZE bytes (default 1 KiB).
-- The payload is the same for every request (the server never checks more than its shape).
local size = tonumber(os.getenv("ONCELINK_BENCH_SIZE") or "1024")
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
-- version 0x01 then zero bytes: base64 "AQAA" followed by "AAAA" groups.
local groups = math.floor((size + 2) / 3)
local body = "AQAA" .. string.rep("AAAA", groups - 1)
wrk.method = "POST"
wrk.path = "/api/secrets"
wrk.body = '{"ciphertext": "' .. body .. '"}'
wrk.headers["Content-Type"] = "application/json"
