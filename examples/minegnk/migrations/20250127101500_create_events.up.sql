-- Append-only event log (node went offline, request approved, payout seen...).
-- Each insert sends NOTIFY on channel 'events' so the API can push it to
-- connected dashboards over WebSocket.

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    event_type  varchar(64)  NOT NULL,
    node_id     uuid,
    user_id     uuid,
    payload     jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT fk_events_node FOREIGN KEY (node_id)
        REFERENCES nodes (id) ON DELETE SET NULL,
    CONSTRAINT fk_events_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_events_node_created ON events (node_id, created_at DESC);
CREATE INDEX idx_events_created_at ON events (created_at);

-- The notification carries only the keys: a NOTIFY payload is limited to
-- 8000 bytes, and listeners read the full row by id.
CREATE FUNCTION notify_event_inserted()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify(
        'events',
        json_build_object(
            'id', NEW.id,
            'event_type', NEW.event_type,
            'node_id', NEW.node_id,
            'user_id', NEW.user_id
        )::text
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_events_notify
    AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION notify_event_inserted();
