package db.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * The credit ledger and the alerts are listed newest first by id, and paged by it ({@code id <
 * :before}): their ids ({@code Ids.ordered}) sort by time only byte by byte. SQLite compares text so
 * by default; a PostgreSQL database made with a linguistic collation (en_US.UTF-8, or an ICU locale:
 * the default of many installations) sorts {@code …Z} after {@code …a} and put entries out of time
 * order. On PostgreSQL the two columns get the bytewise collation {@code "C"}, which their indexes
 * are rebuilt with, so the listing still reads the index. In Java because SQLite has no
 * {@code COLLATE "C"} (and needs nothing).
 */
public final class V12__bytewise_ordered_ids extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        String engine = context.getConnection().getMetaData().getDatabaseProductName();
        if (!engine.equalsIgnoreCase("PostgreSQL")) {
            return;
        }
        try (Statement st = context.getConnection().createStatement()) {
            st.execute("ALTER TABLE credit_ledger ALTER COLUMN id TYPE VARCHAR(40) COLLATE \"C\"");
            st.execute("ALTER TABLE alerts ALTER COLUMN id TYPE VARCHAR(40) COLLATE \"C\"");
        }
    }
}
