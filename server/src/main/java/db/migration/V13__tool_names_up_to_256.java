package db.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * A call is counted, and charged, under its tool's name (an MCP {@code tools/call} may name up to
 * 256 characters) or its route's (an HTTP API's rate-limited path prefix, up to 200): the ledger's
 * and the usage minutes' {@code tool} columns held 128. SQLite never enforced it; on PostgreSQL one
 * longer name failed every flush after it, the journal's and the usage meter's alike. They hold 256
 * there now (widening a VARCHAR rewrites nothing). And the alerts, listed by organization newest
 * first by id, get the index that listing reads.
 */
public final class V13__tool_names_up_to_256 extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        boolean postgres = context.getConnection().getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
        try (Statement st = context.getConnection().createStatement()) {
            if (postgres) {
                st.execute("ALTER TABLE credit_ledger ALTER COLUMN tool TYPE VARCHAR(256)");
                st.execute("ALTER TABLE usage_minutes ALTER COLUMN tool TYPE VARCHAR(256)");
            }
            st.execute("CREATE INDEX alerts_org_id ON alerts (org_id, id)");
        }
    }
}
