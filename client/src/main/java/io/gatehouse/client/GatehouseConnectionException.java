package io.gatehouse.client;

/**
 * A call got no answer from Gatehouse: the connection failed, was reset or timed out, after the
 * retries that were safe (see {@link RetryPolicy}). {@link #mayHaveReachedServer()} tells whether
 * the request may have been processed: when true, a call that changes something (a {@code POST})
 * may have taken effect and was not repeated; check before trying again.
 */
public final class GatehouseConnectionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean mayHaveReachedServer;

    /**
     * No answer.
     *
     * @param message what failed, without secrets
     * @param mayHaveReachedServer false only when the request was certainly not sent
     * @param cause the underlying failure
     */
    public GatehouseConnectionException(String message, boolean mayHaveReachedServer, Throwable cause) {
        super(message, cause);
        this.mayHaveReachedServer = mayHaveReachedServer;
    }

    /** @return false only when the request was certainly never sent (the connection was refused or never opened) */
    public boolean mayHaveReachedServer() {
        return mayHaveReachedServer;
    }
}
