-- wrk script: token introspection (RFC 7662) of an access token by a confidential client (HTTP
-- Basic). INTROSPECT_PATH, ACCESS_TOKEN and CLIENT_BASIC come from the environment (bench/run-oauth).
wrk.method = "POST"
wrk.path = os.getenv("INTROSPECT_PATH") or error("INTROSPECT_PATH is not set")
wrk.headers["Authorization"] = os.getenv("CLIENT_BASIC") or error("CLIENT_BASIC is not set")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. (os.getenv("ACCESS_TOKEN") or error("ACCESS_TOKEN is not set"))
