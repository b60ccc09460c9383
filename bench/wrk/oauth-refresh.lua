-- wrk script: the refresh_token grant (RFC 6749 §6) with a confidential client's HTTP Basic
-- authentication. TOKEN_PATH, REFRESH_TOKEN and CLIENT_BASIC (the Authorization value) come from
-- the environment (bench/run-oauth sets them), never from the command line. The same refresh token
-- each time: Keycloak keeps refresh tokens reusable by default, and Gatehouse honours a rotated one
-- within oauth.refresh-reuse-grace (the run sets 10 minutes), so both servers issue a new pair per
-- request.
wrk.method = "POST"
wrk.path = os.getenv("TOKEN_PATH") or error("TOKEN_PATH is not set")
wrk.headers["Authorization"] = os.getenv("CLIENT_BASIC") or error("CLIENT_BASIC is not set")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token&refresh_token=" .. (os.getenv("REFRESH_TOKEN") or error("REFRESH_TOKEN is not set"))
