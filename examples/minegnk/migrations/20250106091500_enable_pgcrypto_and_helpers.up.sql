-- Extensions and helper functions used by the rest of the schema.
--
-- gen_random_uuid() is built into PostgreSQL 13+, but pgcrypto is still
-- needed for crypt()/gen_salt() (password hashes in seeds and admin scripts).

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Keeps updated_at current on every UPDATE. Attached as a BEFORE UPDATE
-- trigger to each table that has an updated_at column.
CREATE FUNCTION update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;
