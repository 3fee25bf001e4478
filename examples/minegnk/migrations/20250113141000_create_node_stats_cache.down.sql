DROP TABLE IF EXISTS node_stats_cache;
