-- What the asking device wants to do, in words, for the approval prompt
-- ("reveal the password of Brand IG"); empty when it did not say.
ALTER TABLE step_up_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
