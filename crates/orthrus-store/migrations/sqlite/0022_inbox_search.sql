-- Inbox paging and search over everything retained (issue 14, item 5).
-- Search: the keyed hash (HMAC, a key derived from the master key) of each
-- word of a message's sender, subject, code and text, written when the
-- message is stored; the words themselves are never stored. Messages
-- stored before this migration have words_indexed = FALSE until the
-- server's inbox maintenance indexes them.
ALTER TABLE inbox_messages ADD COLUMN words_indexed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX inbox_messages_unindexed ON inbox_messages(received_at) WHERE NOT words_indexed;
CREATE INDEX inbox_messages_workspace_page ON inbox_messages(workspace_id, received_at, id);
CREATE TABLE inbox_words (
    word TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES inbox_messages(id) ON DELETE CASCADE,
    PRIMARY KEY (word, message_id)
) WITHOUT ROWID;
CREATE INDEX inbox_words_message ON inbox_words(message_id);
