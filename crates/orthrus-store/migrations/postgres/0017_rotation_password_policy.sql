-- The password policy rotations follow for the account (JSON of
-- orthrus_app::PasswordPolicy; NULL: the default, 20 characters of every
-- kind). Apps differ: some refuse symbols, some cap the length.
ALTER TABLE rotation_schedules ADD COLUMN password_policy TEXT;
