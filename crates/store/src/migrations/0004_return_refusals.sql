-- Schema version 4: the returns refused by voice, kept past the call. A caller refused a
-- return for the reason first given who calls again with a fault on the same order is
-- handed to a person rather than refunded by voice.

CREATE TABLE return_refusals (
    order_number TEXT PRIMARY KEY,
    refused_at   TEXT NOT NULL
);
