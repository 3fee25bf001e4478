-- events is the largest table and is written to constantly: build the index
-- without blocking inserts. This file holds only CONCURRENTLY statements,
-- so strata runs it outside a transaction. If the build fails it leaves an
-- INVALID index; drop it and run `strata up` again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_type_created
    ON events (event_type, created_at DESC);
