-- Development data for the MineGNK example: a few users, their nodes and
-- requests. Written for the schema at head (every migration applied).
-- Safe to run more than once: existing rows are left alone.
--
-- Every account's password is "devpassword" (bcrypt via pgcrypto).

INSERT INTO users (email, password, name, provider, role, email_verified)
VALUES
    ('admin@minegnk.dev', crypt('devpassword', gen_salt('bf', 10)), 'Dev Admin',  'local', 'admin', true),
    ('alice@minegnk.dev', crypt('devpassword', gen_salt('bf', 10)), 'Alice Chen', 'local', 'user',  true),
    ('bob@minegnk.dev',   crypt('devpassword', gen_salt('bf', 10)), 'Bob Novak',  'local', 'user',  false)
ON CONFLICT (email) DO NOTHING;

INSERT INTO users (email, name, provider, google_id, role, email_verified)
VALUES ('carol@minegnk.dev', 'Carol Diaz', 'google', '104729384756102938475', 'user', true)
ON CONFLICT (email) DO NOTHING;

INSERT INTO nodes (identifier, label, gpu_type, gpu_count, region, gcore_instance_id)
VALUES
    ('gonka1q8z4m3v7x2k9d5w6n0r1t8y3u4p7s2a5f6h9j0', 'alice-h100-01', 'H100', 8, 'eu-west',  'gc-inst-4f21a9'),
    ('gonka1w3e5r7t9y1u3i5o7p9a1s3d5f7g9h1j3k5l7z9', 'alice-h200-01', 'H200', 8, 'us-east',  'gc-inst-7b03c2'),
    ('gonka1m2n4b6v8c0x2z4l6k8j0h2g4f6d8s0a2p4o6i8', 'shared-a100-01', 'A100', 4, 'eu-central', NULL)
ON CONFLICT (identifier) DO NOTHING;

INSERT INTO user_nodes (user_id, node_id, assigned_by)
SELECT u.id, n.id, a.id
FROM (VALUES
        ('alice@minegnk.dev', 'gonka1q8z4m3v7x2k9d5w6n0r1t8y3u4p7s2a5f6h9j0'),
        ('alice@minegnk.dev', 'gonka1w3e5r7t9y1u3i5o7p9a1s3d5f7g9h1j3k5l7z9'),
        ('alice@minegnk.dev', 'gonka1m2n4b6v8c0x2z4l6k8j0h2g4f6d8s0a2p4o6i8'),
        ('carol@minegnk.dev', 'gonka1m2n4b6v8c0x2z4l6k8j0h2g4f6d8s0a2p4o6i8')
     ) AS v(email, identifier)
JOIN users u ON u.email = v.email
JOIN nodes n ON n.identifier = v.identifier
CROSS JOIN (SELECT id FROM users WHERE email = 'admin@minegnk.dev') a
ON CONFLICT (user_id, node_id) DO NOTHING;

INSERT INTO node_requests (user_id, gpu_type, gpu_count, region, message, status,
                           admin_notes, processed_by, processed_at)
SELECT u.id, v.gpu_type::node_requests_gpu_type_enum, v.gpu_count, v.region, v.message,
       v.status::node_requests_status_enum, v.admin_notes,
       CASE WHEN v.status <> 'pending' THEN a.id END,
       CASE WHEN v.status <> 'pending' THEN now() - interval '2 days' END
FROM (VALUES
        ('alice@minegnk.dev', 'H100', 8, 'eu-west', 'First production node', 'completed', 'Provisioned as alice-h100-01'),
        ('bob@minegnk.dev',   'H200', 8, 'us-east', 'Testing inference workloads', 'pending', NULL),
        ('bob@minegnk.dev',   'A100', 2, NULL,      'Cheaper option?', 'rejected', 'A100 capacity sold out')
     ) AS v(email, gpu_type, gpu_count, region, message, status, admin_notes)
JOIN users u ON u.email = v.email
CROSS JOIN (SELECT id FROM users WHERE email = 'admin@minegnk.dev') a
WHERE NOT EXISTS (SELECT 1 FROM node_requests r WHERE r.user_id = u.id);

INSERT INTO earnings_history (node_id, period_start, period_end, amount_gnk, amount_usd)
SELECT n.id, d::date, d::date + 1, v.daily_gnk, round(v.daily_gnk * 0.42, 2)
FROM (VALUES
        ('gonka1q8z4m3v7x2k9d5w6n0r1t8y3u4p7s2a5f6h9j0', 118.250000000),
        ('gonka1m2n4b6v8c0x2z4l6k8j0h2g4f6d8s0a2p4o6i8',  41.735000000)
     ) AS v(identifier, daily_gnk)
JOIN nodes n ON n.identifier = v.identifier
CROSS JOIN generate_series(date '2025-03-01', date '2025-03-07', interval '1 day') AS d
ON CONFLICT (node_id, period_start) DO NOTHING;
