package io.gatehouse.http;

import java.net.URI;

/**
 * The URL clients reach this node at. Known only after the listener binds when the port is chosen
 * by the system ({@code http.port=0}), so it is set once, right after start, before any request.
 */
public final class PublicUrl {
    private volatile URI url;

    public void set(URI url) {
        if (this.url != null) {
            throw new IllegalStateException("public URL already set");
        }
        this.url = url;
    }

    public URI get() {
        URI u = url;
        if (u == null) {
            throw new IllegalStateException("public URL not set yet");
        }
        return u;
    }

    @Override
    public String toString() {
        return get().toString();
    }
}
