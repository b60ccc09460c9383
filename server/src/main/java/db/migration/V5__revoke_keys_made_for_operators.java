package db.migration;

import java.sql.PreparedStatement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * The upgrade's second step, in Java because it needs the time in epoch milliseconds, which SQLite and
 * PostgreSQL spell differently: a standard key owned by an administrator that someone other than an
 * administrator made (an organization admin minting a key for them: issue 11's attack) is revoked,
 * with reason {@code upgrade}. Keys the administrators made for themselves, and the command line's
 * ({@code created_by = 'operator'}), keep working.
 */
public final class V5__revoke_keys_made_for_operators extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        try (PreparedStatement revoke = context.getConnection().prepareStatement(
                "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'upgrade' "
                        + "WHERE kind = 'standard' AND revoked_at IS NULL AND created_by IS NOT NULL "
                        + "AND created_by <> 'operator' AND created_by <> user_id "
                        + "AND user_id IN (SELECT id FROM users WHERE instance_admin = 1) "
                        + "AND created_by NOT IN (SELECT id FROM users WHERE instance_admin = 1)")) {
            revoke.setLong(1, System.currentTimeMillis());
            revoke.executeUpdate();
        }
    }
}
