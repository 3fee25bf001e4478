-- Canonical node reference data, independent of which users can see a node.

CREATE TABLE nodes (
    id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    identifier         varchar(255) NOT NULL,      -- Gonka node address
    label              varchar(100),
    gpu_type           varchar(20),
    gpu_count          integer      NOT NULL DEFAULT 1,
    region             varchar(50),
    gcore_instance_id  varchar(100),
    notes              text,
    is_active          boolean      NOT NULL DEFAULT true,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT nodes_pkey PRIMARY KEY (id),
    CONSTRAINT uq_nodes_identifier UNIQUE (identifier),
    CONSTRAINT chk_nodes_gpu_count CHECK (gpu_count > 0)
);

CREATE INDEX idx_nodes_gpu_type ON nodes (gpu_type);
CREATE INDEX idx_nodes_region ON nodes (region);

CREATE TRIGGER trg_nodes_updated_at
    BEFORE UPDATE ON nodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
