-- Schema version 3: subscriptions known everywhere by a reference the device makes (a
-- UUID), since the device's own numbers mean nothing to the OMS or to another device.
-- Subscriptions made before have none; the OMS does not know them either.

ALTER TABLE subscriptions ADD COLUMN ref TEXT;
CREATE UNIQUE INDEX subscriptions_ref ON subscriptions(ref);
