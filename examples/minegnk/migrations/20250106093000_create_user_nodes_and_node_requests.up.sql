-- Which Gonka node each user can see, and users' requests for new GPU nodes.

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

-- Dashboard: a user's active nodes.
CREATE INDEX idx_user_nodes_active ON user_nodes (user_id) WHERE is_active;

CREATE TRIGGER trg_user_nodes_updated_at
    BEFORE UPDATE ON user_nodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();


CREATE TYPE node_requests_gpu_type_enum AS ENUM ('A100', 'H100', 'H200');
CREATE TYPE node_requests_status_enum AS ENUM ('pending', 'approved', 'rejected', 'completed');

CREATE TABLE node_requests (
    id            uuid                        NOT NULL DEFAULT gen_random_uuid(),
    user_id       uuid                        NOT NULL,
    gpu_type      node_requests_gpu_type_enum NOT NULL,
    gpu_count     integer                     NOT NULL DEFAULT 1,
    region        varchar(50),
    message       text,
    status        node_requests_status_enum   NOT NULL DEFAULT 'pending',
    admin_notes   text,
    processed_by  uuid,
    processed_at  timestamptz,
    created_at    timestamptz                 NOT NULL DEFAULT now(),
    updated_at    timestamptz                 NOT NULL DEFAULT now(),
    CONSTRAINT node_requests_pkey PRIMARY KEY (id),
    CONSTRAINT fk_node_requests_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_node_requests_processed_by FOREIGN KEY (processed_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT chk_node_requests_gpu_count CHECK (gpu_count BETWEEN 1 AND 8),
    CONSTRAINT chk_node_requests_processed CHECK (status = 'pending' OR processed_at IS NOT NULL)
);

-- A user's request history, filtered by status.
CREATE INDEX idx_requests_user_status ON node_requests (user_id, status);
CREATE INDEX idx_requests_created_at ON node_requests (created_at DESC);
-- The admin queue: only pending requests, oldest first.
CREATE INDEX idx_requests_pending ON node_requests (created_at) WHERE status = 'pending';

CREATE TRIGGER trg_node_requests_updated_at
    BEFORE UPDATE ON node_requests
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
