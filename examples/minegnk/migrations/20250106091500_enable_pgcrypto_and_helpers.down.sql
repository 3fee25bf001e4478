DROP FUNCTION IF EXISTS update_updated_at_column();

-- Also removes pgcrypto if it was installed before this migration ran.
DROP EXTENSION IF EXISTS pgcrypto;
