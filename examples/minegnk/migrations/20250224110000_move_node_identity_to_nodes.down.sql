-- Restore the Phase 1 user_nodes table, copying node data back from nodes.
--
-- The table is rebuilt rather than altered in place so that its columns come
-- back in their original order and the schema matches the one before the up.
-- Rows the up added to nodes stay there (they are valid nodes; running the
-- up again finds them through ON CONFLICT). Assignment ids are new uuids,
-- and assigned_by is lost.

ALTER TABLE user_nodes RENAME TO user_nodes_phase2;
ALTER TABLE user_nodes_phase2 RENAME CONSTRAINT user_nodes_pkey TO user_nodes_phase2_pkey;
DROP INDEX idx_user_nodes_node_id;

CREATE TABLE user_nodes (
    id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    user_id            uuid         NOT NULL,
    node_address       varchar(255) NOT NULL,
    label              varchar(100),
    gpu_type           varchar(20),
    gcore_instance_id  varchar(100),
    notes              text,
    is_active          boolean      NOT NULL DEFAULT true,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT user_nodes_pkey PRIMARY KEY (id),
    CONSTRAINT uq_user_nodes_user_address UNIQUE (user_id, node_address),
    CONSTRAINT fk_user_nodes_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

INSERT INTO user_nodes (user_id, node_address, label, gpu_type, gcore_instance_id,
                        notes, is_active, created_at, updated_at)
SELECT p.user_id, n.identifier, n.label, n.gpu_type, n.gcore_instance_id,
       n.notes, n.is_active, p.assigned_at, p.assigned_at
FROM user_nodes_phase2 p
JOIN nodes n ON n.id = p.node_id;

DROP TABLE user_nodes_phase2;

CREATE INDEX idx_user_nodes_active ON user_nodes (user_id) WHERE is_active;

CREATE TRIGGER trg_user_nodes_updated_at
    BEFORE UPDATE ON user_nodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
