DROP TABLE IF EXISTS events;
DROP FUNCTION IF EXISTS notify_event_inserted();
