package io.gatehouse.web;

import java.util.List;

/** What each page template shows: one record per page, built by the endpoint that serves it. */
public final class Views {
    private Views() {
    }

    /** A way to sign in at an OpenID provider: a link that starts it. */
    public record ProviderLink(String label, String href) {
    }

    /** {@code login.jte}: email and password, and the configured providers. */
    public record Login(String csrf, String returnTo, String email, String message, boolean local,
                        List<ProviderLink> providers, String clientName) {
    }

    /** A form field carried through a page unchanged. */
    public record Field(String name, String value) {
    }

    /** A scope as a person reads it. */
    public record ScopeLine(String name, String description) {
    }

    public record OrgChoice(String id, String name, boolean selected) {
    }

    public record WorkspaceChoice(String id, String name, String orgName, boolean checked) {
    }

    /** {@code consent.jte}: who asks, where it returns to, what for, and where it may reach. */
    public record Consent(String csrf, String userEmail, String clientName, String clientId, String redirectHost,
                          boolean loopbackOnly, String resource, List<ScopeLine> scopes, List<OrgChoice> organizations,
                          List<WorkspaceChoice> workspaces, List<Field> hidden) {
    }

    /**
     * {@code invitation.jte}: an invitation to accept. {@code mode}: {@code accept} (signed in as the
     * invitee), {@code create} (no account yet: choose a password), {@code signin} (an account exists:
     * sign in first), {@code key} (joined: the first key, shown once).
     */
    public record Invitation(String csrf, String token, String organization, String role, String email, String mode,
                             String message, String signInHref, String key, int minLength) {
    }

    /** {@code signedin.jte}: who is signed in here, and a way out. */
    public record SignedIn(String email, String csrf) {
    }

    /** {@code message.jte}: a title and a sentence (an error a person can act on, or a result). */
    public record Message(String title, String text, String requestId) {
    }
}
