-- A film's trailer: a short public video (kind `trailer`), read by anyone like a poster.
ALTER TABLE files.file DROP CONSTRAINT file_kind_check;
ALTER TABLE files.file ADD CONSTRAINT file_kind_check CHECK (kind IN ('poster', 'video', 'trailer', 'other'));
