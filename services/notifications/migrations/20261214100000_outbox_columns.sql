-- Pushes and e-mails are two kinds of job of the kit's outbox (`kit::outbox`), which
-- records the receiver's status of every outcome: e-mails get the column deliveries have
-- (0: no status, as SMTP outcomes are recorded).
ALTER TABLE emails ADD COLUMN last_status int NOT NULL DEFAULT 0;
