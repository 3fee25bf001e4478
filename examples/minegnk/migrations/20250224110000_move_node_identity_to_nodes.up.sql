-- Phase 2: user_nodes becomes a pure join table between users and nodes.
--
-- Before: user_nodes (id, user_id, node_address, label, gpu_type,
--                     gcore_instance_id, notes, is_active, created_at, updated_at)
-- After:  user_nodes (user_id, node_id, assigned_at, assigned_by),
--         PRIMARY KEY (user_id, node_id)
--
-- Node identity (address, label, GPU, instance, notes, active flag) moves to
-- nodes. When several users share an address, each field takes the first
-- non-NULL value in assignment order, and the node is active if any
-- assignment was active.

-- 1. One nodes row per address. Addresses already in nodes keep their row;
--    only the fields it is missing are filled in.
INSERT INTO nodes (identifier, label, gpu_type, gcore_instance_id, notes, is_active, created_at)
SELECT un.node_address,
       (array_agg(un.label ORDER BY un.created_at)
            FILTER (WHERE un.label IS NOT NULL))[1],
       (array_agg(un.gpu_type ORDER BY un.created_at)
            FILTER (WHERE un.gpu_type IS NOT NULL))[1],
       (array_agg(un.gcore_instance_id ORDER BY un.created_at)
            FILTER (WHERE un.gcore_instance_id IS NOT NULL))[1],
       (array_agg(un.notes ORDER BY un.created_at)
            FILTER (WHERE un.notes IS NOT NULL))[1],
       bool_or(un.is_active),
       min(un.created_at)
FROM user_nodes un
GROUP BY un.node_address
ON CONFLICT (identifier) DO UPDATE
SET label             = COALESCE(nodes.label, EXCLUDED.label),
    gpu_type          = COALESCE(nodes.gpu_type, EXCLUDED.gpu_type),
    gcore_instance_id = COALESCE(nodes.gcore_instance_id, EXCLUDED.gcore_instance_id),
    notes             = COALESCE(nodes.notes, EXCLUDED.notes)
WHERE nodes.label IS NULL
   OR nodes.gpu_type IS NULL
   OR nodes.gcore_instance_id IS NULL
   OR nodes.notes IS NULL;

-- 2. Point each assignment at its node.
ALTER TABLE user_nodes
    ADD COLUMN node_id uuid,
    ADD COLUMN assigned_by uuid;

ALTER TABLE user_nodes RENAME COLUMN created_at TO assigned_at;

UPDATE user_nodes un
SET node_id = n.id
FROM nodes n
WHERE n.identifier = un.node_address;

-- 3. Drop the per-assignment copies of node data and re-key the table.
DROP TRIGGER trg_user_nodes_updated_at ON user_nodes;
DROP INDEX idx_user_nodes_active;

ALTER TABLE user_nodes
    DROP CONSTRAINT user_nodes_pkey,
    DROP CONSTRAINT uq_user_nodes_user_address,
    DROP COLUMN id,
    DROP COLUMN node_address,
    DROP COLUMN label,
    DROP COLUMN gpu_type,
    DROP COLUMN gcore_instance_id,
    DROP COLUMN notes,
    DROP COLUMN is_active,
    DROP COLUMN updated_at,
    ALTER COLUMN node_id SET NOT NULL;

ALTER TABLE user_nodes
    ADD CONSTRAINT user_nodes_pkey PRIMARY KEY (user_id, node_id),
    ADD CONSTRAINT fk_user_nodes_node FOREIGN KEY (node_id)
        REFERENCES nodes (id) ON DELETE CASCADE,
    ADD CONSTRAINT fk_user_nodes_assigned_by FOREIGN KEY (assigned_by)
        REFERENCES users (id) ON DELETE SET NULL;

-- "Which users can see this node" (the primary key covers lookups by user).
CREATE INDEX idx_user_nodes_node_id ON user_nodes (node_id);
