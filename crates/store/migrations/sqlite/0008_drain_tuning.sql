-- The sync pipeline checks every add batch for users who turned ad tracking off. Only those
-- users are indexed, so the check probes a small index instead of looking up each of the
-- batch's users (and bulk entry, whose users have tracking on, pays nothing for it).
CREATE INDEX users_without_ad_tracking ON users (workspace_id, external_id)
    WHERE ad_tracking_enabled = 0;
