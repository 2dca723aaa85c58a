-- Inbox rate limits and storage quotas (issue 11, finding 5): the bytes each
-- message takes (its sealed column), so the usage of an address or a
-- workspace is summed from an index, not by reading every message.
ALTER TABLE inbox_messages ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE inbox_messages SET size_bytes = octet_length(sealed);
CREATE INDEX inbox_messages_recipient_usage ON inbox_messages(recipient, received_at, size_bytes);
CREATE INDEX inbox_messages_workspace_usage ON inbox_messages(workspace_id, received_at, size_bytes);
