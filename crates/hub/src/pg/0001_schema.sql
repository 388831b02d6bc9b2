-- The hub's schema on PostgreSQL, version 1: the data of the SQLite store's version 6
-- (crates/hub/src/db.rs), in one database that every hub process of a fleet shares.

-- Every entity (order, product, document, policy) as its current JSON, with its place
-- in the change feed. `seq` is handed out under the feed lock (crates/hub/src/pg.rs),
-- so sequence numbers become visible in the order they were given.
CREATE TABLE entities (
    kind      text   NOT NULL,          -- order | product | document | policy
    id        text   NOT NULL,
    seq       bigint NOT NULL,          -- bumps on every change; orders the feed
    body      text   NOT NULL,          -- the entity's current JSON
    store     text,                     -- orders: the shop (scope)
    customer  text,                     -- orders: the customer's email (scope)
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX entities_seq ON entities (seq);
-- One feed page is read per scope part, each from its own index in feed order.
CREATE INDEX entities_catalog_seq ON entities (seq) WHERE kind <> 'order';
CREATE INDEX entities_store_seq ON entities (store, seq) WHERE kind = 'order';
CREATE INDEX entities_customer_seq ON entities (customer, seq) WHERE kind = 'order';

-- Every device command received, by device and idempotency key, with the hash of its
-- body and its result: the primary key is what makes a key count once across every
-- hub process.
CREATE TABLE commands (
    device_id        text   NOT NULL,
    idempotency_key  text   NOT NULL,
    body_hash        text   NOT NULL,
    kind             text   NOT NULL,
    order_number     text,
    base_version     bigint,
    outcome          text   NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason           text,
    detail           text,
    version_after    bigint,
    payload          text   NOT NULL,   -- the command when applied; 'null' when refused
    received_at      text   NOT NULL,
    PRIMARY KEY (device_id, idempotency_key)
);

CREATE TABLE returns (
    order_number  text NOT NULL,
    id            text NOT NULL,
    body          text NOT NULL,
    PRIMARY KEY (order_number, id)
);

CREATE TABLE subscriptions (
    ref       text PRIMARY KEY,
    customer  text NOT NULL,            -- the customer's email, lower-case
    body      text NOT NULL
);
CREATE INDEX subscriptions_customer ON subscriptions (customer);

CREATE TABLE counters (
    name   text   PRIMARY KEY,
    value  bigint NOT NULL
);

-- The devices the hub lets in: the SHA-256 of each token, never the token.
CREATE TABLE devices (
    id          text  PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scope       text  NOT NULL,         -- Scope's canonical text
    created_at  text  NOT NULL,         -- UTC, ISO 8601
    revoked_at  text                    -- UTC; NULL while the device is active
);
