-- Per-user daily earnings across every node the user can see; backs the
-- dashboard's earnings chart.

CREATE VIEW user_earnings_daily AS
SELECT un.user_id,
       e.period_start               AS day,
       count(DISTINCT e.node_id)    AS node_count,
       sum(e.amount_gnk)            AS amount_gnk,
       sum(e.amount_usd)            AS amount_usd
FROM user_nodes un
JOIN earnings_history e ON e.node_id = un.node_id
GROUP BY un.user_id, e.period_start;
