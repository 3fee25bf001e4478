-- Latest statistics fetched from the Gonka trackers, one row per node.
-- The API reads this table instead of calling the trackers on every request;
-- a background job refreshes rows older than the cache TTL (1-5 minutes).

CREATE TABLE node_stats_cache (
    node_id          uuid           NOT NULL,
    status           varchar(20)    NOT NULL DEFAULT 'unknown',
    poc_weight       bigint,
    inference_count  bigint         NOT NULL DEFAULT 0,
    missed_rate      numeric(5,4),
    earned_gnk       numeric(30,9)  NOT NULL DEFAULT 0,
    raw              jsonb,
    fetched_at       timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT node_stats_cache_pkey PRIMARY KEY (node_id),
    CONSTRAINT fk_node_stats_cache_node FOREIGN KEY (node_id)
        REFERENCES nodes (id) ON DELETE CASCADE,
    CONSTRAINT chk_node_stats_status
        CHECK (status IN ('online', 'offline', 'jailed', 'unknown')),
    CONSTRAINT chk_node_stats_missed_rate
        CHECK (missed_rate IS NULL OR missed_rate BETWEEN 0 AND 1),
    CONSTRAINT chk_node_stats_counts
        CHECK (inference_count >= 0 AND earned_gnk >= 0)
);

-- TTL-based invalidation: find the stalest rows.
CREATE INDEX idx_node_stats_fetched ON node_stats_cache (fetched_at);
CREATE INDEX idx_node_stats_status ON node_stats_cache (status);
