package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {
    @Test
    void orderedIdsSortByTheirMillisecondAndAreAsLongAsOthers() {
        List<String> ids = new ArrayList<>();
        long[] times = {0L, 61L, 62L, 1_796_242_614_294L, 1_796_242_614_295L, 1_796_242_680_000L, 218_340_105_584_895L};
        for (long t : times) {
            ids.add(Ids.ordered("tok", t));
        }
        assertThat(ids).isSorted();
        assertThat(ids).allSatisfy(id -> assertThat(id).hasSameSizeAs(Ids.next("tok")).matches("tok_[0-9A-Za-z]{20}"));
        assertThat(ids.getFirst()).startsWith("tok_00000000");
        assertThat(ids.get(1)).startsWith("tok_0000000z");
        assertThat(ids.get(2)).startsWith("tok_00000010");
        assertThat(ids.getLast()).as("62^8 - 1, the last millisecond it can tell").startsWith("tok_zzzzzzzz");
    }

    @Test
    void orderedIdsOfOneMillisecondDiffer() {
        HashSet<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            seen.add(Ids.ordered("tok", 1_796_242_614_294L));
        }
        assertThat(seen).hasSize(10_000);
    }
}
