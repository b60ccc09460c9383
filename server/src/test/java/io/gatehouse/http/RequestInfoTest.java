package io.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestInfoTest {
    @Test
    void anIpv6AddressIsCountedByItsSlash64AndAnIpv4OneAsItIs() {
        assertThat(RequestInfo.counted("203.0.113.7")).isEqualTo("203.0.113.7");
        assertThat(RequestInfo.counted("2001:db8:1:2:3:4:5:6")).isEqualTo("2001:db8:1:2::/64");
        assertThat(RequestInfo.counted("2001:0db8:0001:0002:ffff::1"))
                .as("every address of one /64 counts as one").isEqualTo(RequestInfo.counted("2001:db8:1:2::9"));
        assertThat(RequestInfo.counted("2001:db8:1:3::1")).as("the next /64 is another").isEqualTo("2001:db8:1:3::/64");
        assertThat(RequestInfo.counted("::ffff:203.0.113.7")).as("an IPv4 address in IPv6 clothing").isEqualTo("203.0.113.7");
        assertThat(RequestInfo.counted("unknown")).isEqualTo("unknown");
        assertThat(RequestInfo.counted("zz:1")).as("not a literal: counted as it came, never looked up").isEqualTo("zz:1");
    }
}
