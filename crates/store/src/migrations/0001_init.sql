-- Schema version 1: the local order cache, catalog, policies, outbox and audit log.
-- Money is stored in cents (INTEGER); dates as ISO text; booleans as 0/1.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE households (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

-- The current record of a person. Orders keep their own snapshot of the contact details
-- the customer gave at checkout, because verification checks the factors on the order.
CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT UNIQUE,
    phone        TEXT,
    billing_zip  TEXT,
    household_id INTEGER REFERENCES households(id)
) STRICT;
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_household ON customers(household_id);

CREATE TABLE orders (
    order_number        TEXT PRIMARY KEY,
    status              TEXT NOT NULL,
    order_date          TEXT NOT NULL,
    customer_id         INTEGER NOT NULL REFERENCES customers(id),
    customer_name       TEXT NOT NULL,
    email               TEXT,
    phone               TEXT,
    billing_zip         TEXT,
    subtotal_cents      INTEGER NOT NULL,
    shipping_cents      INTEGER NOT NULL,
    total_cents         INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    payment_method      TEXT NOT NULL,
    payment_brand       TEXT,
    payment_last4       TEXT,
    ship_line1          TEXT,
    ship_line2          TEXT,
    ship_city           TEXT,
    ship_state          TEXT,
    ship_zip            TEXT,
    ship_country        TEXT,
    shipping_method     TEXT NOT NULL,
    carrier             TEXT,
    tracking_number     TEXT,
    shipped_at          TEXT,
    estimated_delivery  TEXT,
    delivered_at        TEXT,
    cancelled_at        TEXT,
    delivery_slot       TEXT,
    internal_notes      TEXT,
    version             INTEGER NOT NULL DEFAULT 0,
    updated_at          TEXT NOT NULL,
    record_hash         TEXT NOT NULL              -- hash of the record as last imported
) STRICT;
CREATE INDEX orders_phone ON orders(phone);
CREATE INDEX orders_email ON orders(email);
CREATE INDEX orders_customer ON orders(customer_id, order_date);
CREATE INDEX orders_status ON orders(status);

CREATE TABLE order_items (
    order_number  TEXT NOT NULL REFERENCES orders(order_number) ON DELETE CASCADE,
    line_no       INTEGER NOT NULL,
    sku           TEXT NOT NULL,
    name          TEXT NOT NULL,
    qty           INTEGER NOT NULL CHECK (qty > 0),
    price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
    category      TEXT NOT NULL,
    final_sale    INTEGER NOT NULL DEFAULT 0,
    personalised  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_number, line_no)
) STRICT, WITHOUT ROWID;
CREATE INDEX order_items_sku ON order_items(sku);

CREATE TABLE tracking_events (
    id           INTEGER PRIMARY KEY,
    order_number TEXT NOT NULL REFERENCES orders(order_number) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    status       TEXT NOT NULL,
    location     TEXT,
    description  TEXT
) STRICT;
CREATE INDEX tracking_events_order ON tracking_events(order_number, at);

CREATE TABLE returns (
    id              TEXT PRIMARY KEY,          -- return authorisation number
    order_number    TEXT NOT NULL REFERENCES orders(order_number),
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL,             -- requested | label_sent | in_transit |
                                               -- received | refunded | rejected
    reason          TEXT NOT NULL,
    resolution      TEXT NOT NULL,             -- refund | replacement | exchange
    refund_method   TEXT,
    refund_cents    INTEGER,
    refunded_at     TEXT,
    pickup_date     TEXT,
    pickup_slot     TEXT,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX returns_order ON returns(order_number);

CREATE TABLE return_items (
    return_id  TEXT NOT NULL REFERENCES returns(id) ON DELETE CASCADE,
    line_no    INTEGER NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    exchange_sku TEXT,
    PRIMARY KEY (return_id, line_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE products (
    sku           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL,
    family        TEXT NOT NULL,               -- variants of one product share a family
    size          TEXT,
    color         TEXT,
    price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
    stock         INTEGER NOT NULL DEFAULT 0,
    final_sale    INTEGER NOT NULL DEFAULT 0,
    personalised  INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    aliases       TEXT NOT NULL DEFAULT '[]',  -- JSON array of spoken names
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX products_family ON products(family);
CREATE INDEX products_category ON products(category);

CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    sku             TEXT NOT NULL REFERENCES products(sku),
    qty             INTEGER NOT NULL CHECK (qty > 0),
    frequency_days  INTEGER NOT NULL CHECK (frequency_days > 0),
    next_date       TEXT,
    status          TEXT NOT NULL,             -- active | paused | cancelled
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX subscriptions_customer ON subscriptions(customer_id);

-- Store policy values synced from the OMS; they override the configuration defaults.
CREATE TABLE policies (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,                 -- JSON
    updated_at  TEXT NOT NULL
) STRICT;

-- Policy and FAQ documents the agent answers questions from.
CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- policy | faq
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Every change made on the device, written in the same transaction as the change itself.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    order_number     TEXT,
    base_version     INTEGER,
    payload          TEXT NOT NULL,            -- JSON
    created_at       TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',   -- pending | applied | rejected | dead
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_error       TEXT,
    settled_at       TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox(state, id);

CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

-- Failed identity checks per order; a lock outlives the session and the process.
CREATE TABLE verification_locks (
    order_number  TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    channel         TEXT NOT NULL,             -- chat | voice | simulate
    primary_intent  TEXT,
    outcome         TEXT,                      -- contained | escalated | abandoned
    turns           INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Audit trail: what was understood and done. Never holds contact details in clear.
CREATE TABLE conversation_events (
    id               INTEGER PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    at               TEXT NOT NULL,
    kind             TEXT NOT NULL,
    intent           TEXT,
    confidence       REAL,
    detail           TEXT                      -- JSON, redacted
) STRICT;
CREATE INDEX conversation_events_conv ON conversation_events(conversation_id, id);
