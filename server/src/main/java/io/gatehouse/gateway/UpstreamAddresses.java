package io.gatehouse.gateway;

import io.gatehouse.config.AddressRange;
import io.gatehouse.config.GatehouseConfig.PrivateUpstreams;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which network addresses a server's upstream may have. An organisation registers its own servers,
 * and Gatehouse connects to them from inside the operator's network: without a rule, an organisation
 * could point a server at the cloud metadata service or at an internal admin port and read the
 * answers (server-side request forgery). So by default only instance-wide servers, which the
 * operator registers, may be on a loopback, private, link-local or otherwise internal address —
 * unless the operator names the internal ranges organisations may use anyway
 * ({@code gateway.private-upstream-ranges}: a team's network in a company's own deployment, say).
 *
 * <p>The rule is applied twice: when a server is registered (its host as written and as it resolves
 * then), and on every new connection (as the host resolves then), so a name that later resolves to
 * an internal address is refused too.
 */
final class UpstreamAddresses {
    private final PrivateUpstreams privateUpstreams;
    private final List<AddressRange> approved;

    UpstreamAddresses(PrivateUpstreams privateUpstreams, List<AddressRange> approved) {
        this.privateUpstreams = privateUpstreams;
        this.approved = List.copyOf(approved);
    }

    /** Addresses {@code server}'s upstream connections may go to. */
    Predicate<InetAddress> allowedFor(Server server) {
        return mayBeInternal(server.orgId()) ? a -> true : this::allowedForOrganisations;
    }

    private boolean allowedForOrganisations(InetAddress a) {
        if (!isInternal(a)) {
            return true;
        }
        for (AddressRange range : approved) {
            if (range.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses an upstream that a server owned by {@code orgId} may not have: a host that is, or now
     * resolves to, an internal address.
     */
    void check(Optional<String> orgId, URI upstream) {
        if (mayBeInternal(orgId)) {
            return;
        }
        String host = upstream.getHost();
        InetAddress[] resolved;
        try {
            resolved = InetAddress.getAllByName(host);
        } catch (UnknownHostException | SecurityException e) {
            return; // not resolvable now: every connection is checked when it is made
        }
        for (InetAddress a : resolved) {
            if (!allowedForOrganisations(a)) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "upstream_not_allowed", "upstream_url: " + host
                        + " is an internal address, which only instance-wide servers may have");
            }
        }
    }

    private boolean mayBeInternal(Optional<String> orgId) {
        return privateUpstreams == PrivateUpstreams.ANY || orgId.isEmpty();
    }

    /**
     * Loopback, unspecified, private (RFC 1918, RFC 4193), link-local (cloud metadata lives there),
     * shared (RFC 6598, carrier-grade NAT), benchmarking (RFC 2544), reserved and multicast addresses.
     */
    static boolean isInternal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return true; // fc00::/7, unique local
            }
            boolean compatible = Arrays.equals(b, 0, 12, new byte[12], 0, 12) // ::a.b.c.d
                    || Arrays.equals(b, 0, 10, new byte[10], 0, 10) && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            // ::ffff:a.b.c.d too: a resolver may hand it over as an IPv6 address, and it connects to IPv4
            boolean nat64 = (b[0] & 0xff) == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                    && Arrays.equals(b, 4, 12, new byte[8], 0, 8); // 64:ff9b::a.b.c.d
            if (compatible || nat64) {
                try {
                    return isInternal(InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException impossible) {
                    return true;
                }
            }
            // Addresses that carry an IPv4 address a gateway may deliver to: 6to4 (2002:a.b.c.d::/48) is
            // judged by it; Teredo (2001::/32) and local-use NAT64 (64:ff9b:1::/48) are refused outright.
            if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
                try {
                    return isInternal(InetAddress.getByAddress(Arrays.copyOfRange(b, 2, 6)));
                } catch (UnknownHostException impossible) {
                    return true;
                }
            }
            boolean teredo = (b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && b[2] == 0 && b[3] == 0;
            boolean localNat64 = (b[0] & 0xff) == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff
                    && (b[3] & 0xff) == 0x9b && b[4] == 0 && b[5] == 1;
            return teredo || localNat64;
        }
        return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64 // 100.64.0.0/10
                || (b[0] & 0xff) == 0 // 0.0.0.0/8, "this network"
                || (b[0] & 0xff) == 198 && (b[1] & 0xfe) == 18 // 198.18.0.0/15: benchmarking, used inside networks
                || (b[0] & 0xff) == 192 && b[1] == 0 && b[2] == 0 // 192.0.0.0/24: protocol assignments
                || (b[0] & 0xf0) == 240; // 240.0.0.0/4: reserved, and the broadcast address
    }
}
