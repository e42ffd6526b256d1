-- Named, time-limited leases shared by every instance on the database (e.g. which instance
-- sends for a Pinterest connection). A lease is free when absent or when expires_at <= now;
-- a released lease keeps its row with expires_at set to the release time, so the next
-- holder learns when the previous term ended (previous_term_ended_at).

CREATE TABLE leases (
    name                   TEXT PRIMARY KEY,
    holder                 TEXT NOT NULL,
    acquired_at            BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    previous_term_ended_at BIGINT
);
