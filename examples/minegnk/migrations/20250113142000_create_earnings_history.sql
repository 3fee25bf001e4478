-- migrate:up
-- Daily earnings per node, kept even when the stats cache is cleared.
-- (One file with dbmate's markers; strata reads both sections.)

CREATE TABLE earnings_history (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    node_id       uuid           NOT NULL,
    period_start  date           NOT NULL,
    period_end    date           NOT NULL,
    amount_gnk    numeric(30,9)  NOT NULL DEFAULT 0,
    amount_usd    numeric(14,2),
    source        varchar(20)    NOT NULL DEFAULT 'tracker',
    created_at    timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT earnings_history_pkey PRIMARY KEY (id),
    CONSTRAINT fk_earnings_node FOREIGN KEY (node_id)
        REFERENCES nodes (id) ON DELETE CASCADE,
    CONSTRAINT uq_earnings_node_period UNIQUE (node_id, period_start),
    CONSTRAINT chk_earnings_period CHECK (period_end > period_start),
    CONSTRAINT chk_earnings_amounts
        CHECK (amount_gnk >= 0 AND (amount_usd IS NULL OR amount_usd >= 0)),
    CONSTRAINT chk_earnings_source CHECK (source IN ('tracker', 'manual', 'backfill'))
);

-- Totals across all nodes for a date range. Per-node queries use the
-- unique (node_id, period_start) index.
CREATE INDEX idx_earnings_period ON earnings_history (period_start);

-- migrate:down
DROP TABLE IF EXISTS earnings_history;
