DROP INDEX CONCURRENTLY IF EXISTS idx_events_type_created;
