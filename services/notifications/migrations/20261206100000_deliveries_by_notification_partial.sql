-- Only pending and held pushes are ever looked up by their notification (dropping the
-- pushes of a withdrawn notification). Indexing only those rows spares the claim and the
-- outcome, the two updates every push goes through, an index entry each: every update of
-- a delivery writes a new row version, and each index whose predicate it meets gets an
-- entry.
DROP INDEX IF EXISTS deliveries_by_notification;
CREATE INDEX deliveries_by_notification ON deliveries (notification_id)
    WHERE state IN ('pending', 'held');
