-- Rate limits of one tool or route, and of one key: portable SQL, as in V1. docs/billing.md explains them.

-- Requests each credential may make of one tool (an MCP server, by tool name) or under one route
-- (an HTTP API, by path prefix relative to the server): JSON object of name -> rate, such as
-- {"search": "10/min", "/v1/generate": "5/min"}; NULL for none.
ALTER TABLE servers ADD COLUMN rate_limits TEXT;

-- An API key's own limit on the data plane, besides its plan's, as 100/min; NULL for none. A key
-- made by a key that has one gets one no looser (keys.KeyReach).
ALTER TABLE api_keys ADD COLUMN rate_limit VARCHAR(32);
