package io.gatehouse.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.20.0.0/16}, {@code fd00:1::/64}); an address
 * without a prefix is that one address. An IPv4 address written as IPv6 ({@code ::ffff:10.0.0.1})
 * is matched as the IPv4 address it connects to.
 */
public final class AddressRange {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final byte[] network;
    private final int prefix;
    private final String text;

    private AddressRange(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /** @throws IllegalArgumentException what is wrong with {@code cidr}, worded to follow it */
    public static AddressRange parse(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        // Literals only: a name here would be looked up, and a range is no place for DNS.
        if (!IPV4.matcher(address).matches() && !(address.contains(":") && address.matches("[0-9A-Fa-f:.]+"))) {
            throw new IllegalArgumentException("is not an IP address or CIDR range");
        }
        byte[] bytes;
        try {
            bytes = v4IfMapped(InetAddress.getByName(address)).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("is not an IP address or CIDR range");
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = cidr.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
                throw new IllegalArgumentException("has a prefix outside 0 to " + bits);
            }
            prefix = Integer.parseInt(p);
        }
        byte[] masked = mask(bytes, prefix);
        if (!Arrays.equals(masked, bytes)) {
            throw new IllegalArgumentException("has bits set past its prefix");
        }
        return new AddressRange(bytes, prefix, cidr);
    }

    public boolean contains(InetAddress address) {
        byte[] b = v4IfMapped(address).getAddress();
        return b.length == network.length && Arrays.equals(mask(b, prefix), network);
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    private static InetAddress v4IfMapped(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address && Arrays.equals(b, 0, 10, new byte[10], 0, 10)
                && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
            try {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            } catch (UnknownHostException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        return a;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressRange r && r.prefix == prefix && Arrays.equals(r.network, network);
    }

    @Override
    public int hashCode() {
        return HexFormat.of().formatHex(network).hashCode() * 31 + prefix;
    }
}
