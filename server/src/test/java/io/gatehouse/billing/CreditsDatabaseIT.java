package io.gatehouse.billing;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link CreditsIT} with {@code credits.charges=database}: each answer waits for its charge's
 * commit instead of the node's charge journal.
 */
class CreditsDatabaseIT extends CreditsIT {
    @BeforeAll
    static void start() {
        startWith("database");
    }
}
