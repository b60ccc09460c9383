package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.AddressRange;
import io.gatehouse.config.GatehouseConfig.PrivateUpstreams;
import io.gatehouse.errors.ApiError;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UpstreamAddressesTest {
    private static boolean internal(String literal) throws UnknownHostException {
        return UpstreamAddresses.isInternal(InetAddress.getByName(literal));
    }

    @Test
    void isInternalWhenLoopbackPrivateLinkLocalOrSharedThenTrue() throws Exception {
        for (String a : new String[]{"127.0.0.1", "127.5.6.7", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1",
                "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254", "224.0.0.1",
                "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:10.0.0.1", "::127.0.0.1",
                "64:ff9b::a9fe:a9fe", "ff02::1", "198.18.0.1", "198.19.255.254", "192.0.0.8", "240.0.0.1",
                "255.255.255.255"}) {
            assertThat(internal(a)).as(a).isTrue();
        }
    }

    @Test
    void isInternalWhenIpv4MappedComesAsAnIpv6AddressThenTrue() throws Exception {
        // What a resolver may return for an AAAA record of ::ffff:127.0.0.1; it connects to 127.0.0.1.
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        for (byte[] v4 : new byte[][]{{127, 0, 0, 1}, {(byte) 169, (byte) 254, (byte) 169, (byte) 254}, {10, 0, 0, 1}}) {
            System.arraycopy(v4, 0, mapped, 12, 4);
            java.net.Inet6Address a = java.net.Inet6Address.getByAddress("mapped.test", mapped, -1);
            assertThat(UpstreamAddresses.isInternal(a)).as(a.toString()).isTrue();
        }
        mapped[12] = 93;
        assertThat(UpstreamAddresses.isInternal(java.net.Inet6Address.getByAddress("m", mapped, -1))).isFalse();
    }

    @Test
    void isInternalWhenAnIpv6TransitionAddressCarriesAnInternalIpv4OneThenTrue() throws Exception {
        // 6to4 judged by the IPv4 address it carries; Teredo and local-use NAT64 refused outright.
        assertThat(internal("2002:7f00:1::1")).as("6to4 of 127.0.0.1").isTrue();
        assertThat(internal("2002:a9fe:a9fe::1")).as("6to4 of 169.254.169.254").isTrue();
        assertThat(internal("2002:5db8:d822::1")).as("6to4 of 93.184.216.34").isFalse();
        assertThat(internal("2001:0:4136:e378:8000:63bf:3fff:fdd2")).as("Teredo").isTrue();
        assertThat(internal("64:ff9b:1::a00:1")).as("local-use NAT64").isTrue();
        assertThat(internal("2606:4700::1111")).as("a public IPv6 address").isFalse();
    }

    @Test
    void orgServerWhenItsInternalAddressIsInANamedRangeThenAllowedAndOtherInternalOnesStillNot() throws Exception {
        UpstreamAddresses addresses = new UpstreamAddresses(PrivateUpstreams.INSTANCE, List.of(
                AddressRange.parse("10.20.0.0/16"), AddressRange.parse("fd00:1::/64"), AddressRange.parse("192.168.7.7")));
        Optional<String> org = Optional.of("org_1");
        for (String ok : new String[]{"10.20.0.1", "10.20.255.254", "::ffff:10.20.3.4", "fd00:1::5", "192.168.7.7",
                "93.184.216.34"}) {
            addresses.check(org, URI.create("http://" + (ok.contains(":") ? "[" + ok + "]" : ok) + "/mcp"));
        }
        for (String refused : new String[]{"10.21.0.1", "10.19.255.255", "fd00:2::5", "192.168.7.8", "127.0.0.1",
                "169.254.169.254"}) {
            assertThatThrownBy(() -> addresses.check(org,
                    URI.create("http://" + (refused.contains(":") ? "[" + refused + "]" : refused) + "/mcp")))
                    .as(refused).isInstanceOf(ApiError.class);
        }
    }

    @Test
    void isInternalWhenPublicThenFalse() throws Exception {
        for (String a : new String[]{"93.184.216.34", "1.1.1.1", "172.32.0.1", "100.128.0.1", "11.0.0.1",
                "198.20.0.1", "198.17.255.255", "192.0.1.1", "223.255.255.254",
                "2606:4700:4700::1111", "2001:db8::1", "64:ff9b::808:808"}) {
            assertThat(internal(a)).as(a).isFalse();
        }
    }
}
