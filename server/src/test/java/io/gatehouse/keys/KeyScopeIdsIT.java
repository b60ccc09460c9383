package io.gatehouse.keys;

import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Scope ids are stored space-separated: an id that could change meaning on the way back is refused. */
class KeyScopeIdsIT {
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "*", "", " srv", "srv\u00e9"})
    void idsThatWouldNotReadBackAsThemselvesAre400(String id) {
        for (String field : List.of("servers", "workspaces")) {
            Http.Response r = node.http.post("/v1/keys", node.adminKey, Map.of("name", "x", field, List.of(id)));
            assertThat(r.status()).as(field + " " + id).isEqualTo(400);
            assertThat(r.json().path("error").path("message").asText()).startsWith(field);
        }
        Http.Response mcps = node.http.post("/v1/keys", node.adminKey,
                Map.of("name", "x", "permissions", Map.of("mcps", List.of(id))));
        assertThat(mcps.status()).isEqualTo(400);
    }
}
