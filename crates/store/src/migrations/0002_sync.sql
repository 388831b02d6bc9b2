-- Schema version 2: sync with the central OMS.
-- `sync_state` (version 1) holds the change-feed cursor and the last success and error;
-- the outbox (version 1) gains an index for "is anything of this order still pending".

CREATE INDEX outbox_order_state ON outbox(order_number, state, id);

-- What the customer must hear from the device because of sync: a command the OMS
-- refused (the local change was rolled back) or delivery news a speaker may announce.
-- Kept until the agent says it; no contact details, only the order and customer ids.
CREATE TABLE sync_notices (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,            -- rejected | status_update
    order_number     TEXT,
    customer_id      INTEGER,
    status           TEXT,                     -- the order's status the notice reports
    command_kind     TEXT,                     -- rejected: the outbox `kind`
    reason           TEXT,                     -- rejected: the OMS's reason code
    detail           TEXT,                     -- rejected: the OMS's explanation
    idempotency_key  TEXT UNIQUE,              -- rejected: one notice per command
    announce         INTEGER NOT NULL DEFAULT 0, -- a speaker may say it unprompted
    created_at       TEXT NOT NULL,
    delivered_at     TEXT
) STRICT;
CREATE INDEX sync_notices_order ON sync_notices(order_number, delivered_at);
CREATE INDEX sync_notices_customer ON sync_notices(customer_id, delivered_at);
