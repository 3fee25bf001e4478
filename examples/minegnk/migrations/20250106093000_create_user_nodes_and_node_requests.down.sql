DROP TABLE IF EXISTS node_requests;
DROP TYPE IF EXISTS node_requests_status_enum;
DROP TYPE IF EXISTS node_requests_gpu_type_enum;
DROP TABLE IF EXISTS user_nodes;
