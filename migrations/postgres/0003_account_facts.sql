-- Whether the account's email is proven (a Google identity with that verified email, or an
-- invitation link accepted by the account): only then does the account see invitations
-- addressed to its email without the link. And when it last signed in (written at sign-in,
-- never per request).
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
UPDATE users SET email_verified_at = created_at
    WHERE EXISTS (SELECT 1 FROM identities i WHERE i.user_id = users.id AND i.email_at_link = users.email);
