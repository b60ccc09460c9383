package io.gatehouse.billing;

import io.gatehouse.store.Database;
import java.time.Clock;
import java.time.Duration;

/**
 * Deletes usage minutes and alerts older than {@code usage.retention}, oldest first, and the
 * networks of credentials that can no longer be used, a batch per
 * statement: each statement holds its locks briefly, so the usage flush and the alerts' writes go on
 * between batches (SQLite has one writer). Every node runs it; two at once delete what either finds.
 */
final class UsageRetention {
    /** Rows per statement. */
    static final int BATCH = 1000;

    private final Database db;
    private final Duration retention;
    private final Clock clock;

    UsageRetention(Database db, Duration retention, Clock clock) {
        this.db = db;
        this.retention = retention;
        this.clock = clock;
    }

    /** Deletes what is past retention now; returns how many rows went. */
    int prune() {
        long before = clock.instant().minus(retention).toEpochMilli();
        // A row-value IN (PostgreSQL; SQLite since 3.15) names a batch by its primary key: neither engine
        // takes DELETE … LIMIT.
        int minutes = inBatches("DELETE FROM usage_minutes WHERE (minute, credential_id, server_id, tool) IN ("
                + "SELECT minute, credential_id, server_id, tool FROM usage_minutes WHERE minute < :before "
                + "ORDER BY minute LIMIT " + BATCH + ")", before);
        int alerts = inBatches("DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE created_at < :before "
                + "ORDER BY created_at LIMIT " + BATCH + ")", before);
        // The networks a credential was used from matter while it can be used: those of keys revoked,
        // deleted or expired, of grants revoked, and of credentials deleted with their organization go,
        // once known for longer than the retention.
        int networks = inBatches("DELETE FROM credential_networks WHERE (credential_id, network) IN ("
                + "SELECT n.credential_id, n.network FROM credential_networks n WHERE n.first_seen_at < :before "
                + "AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = n.credential_id AND k.revoked_at IS NULL "
                + "AND k.deleted_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > " + clock.millis() + ")) "
                + "AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.id = n.credential_id AND g.revoked_at IS NULL) "
                + "LIMIT " + BATCH + ")", before);
        return minutes + alerts + networks;
    }

    private int inBatches(String delete, long before) {
        int total = 0;
        int deleted;
        do {
            deleted = db.withHandle(h -> h.createUpdate(delete).bind("before", before).execute());
            total += deleted;
        } while (deleted == BATCH);
        return total;
    }
}
