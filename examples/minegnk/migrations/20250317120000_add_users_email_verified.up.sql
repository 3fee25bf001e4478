-- Track e-mail verification. OAuth providers have already verified the
-- address, so those accounts start verified; local accounts must confirm.
-- (A constant default does not rewrite the table on PostgreSQL 11+.)

ALTER TABLE users
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

UPDATE users
SET email_verified = true
WHERE provider <> 'local';
