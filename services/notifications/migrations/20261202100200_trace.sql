-- The W3C trace context of the commit a push stems from (its CONSUMER span in the
-- routing projection), so the push request continues that trace; NULL when unsampled.
ALTER TABLE deliveries ADD COLUMN traceparent text;
