DROP TABLE IF EXISTS users;
DROP TYPE IF EXISTS users_provider_enum;
DROP TYPE IF EXISTS users_role_enum;
