-- The sync pipeline checks every add batch for users who turned ad tracking off. Only those
-- users are indexed, so the check probes a small index instead of looking up each of the
-- batch's users (and bulk entry, whose users have tracking on, pays nothing for it).
CREATE INDEX users_without_ad_tracking ON users (workspace_id, external_id)
    WHERE NOT ad_tracking_enabled;

-- A claim sets each claimed item's lease. With half of each page left free, every such update
-- finds room beside the row it replaces (a HOT update: no index entry is written); at 85% most
-- of a claim's 1,900 updates moved to other pages and wrote an entry in each of the three
-- indexes, about three times the cost. New pages follow the setting; existing ones as they
-- are rewritten.
ALTER TABLE sync_items SET (fillfactor = 50);
