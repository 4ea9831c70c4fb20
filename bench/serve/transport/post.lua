-- post.lua - wrk script: POST the request document named by $BODY_FILE
-- (a JSON feature request) with content-type application/json.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
