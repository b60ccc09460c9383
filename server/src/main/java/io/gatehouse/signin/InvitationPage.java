package io.gatehouse.signin;

import io.gatehouse.accounts.InvitationService;
import io.gatehouse.accounts.Passwords;
import io.gatehouse.audit.Actor;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.web.Browser;
import io.gatehouse.web.Pages;
import io.gatehouse.web.Views;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Accepting an invitation in a browser: {@code /invitations/accept?token=…}, the link an inviter
 * sends. A person signed in as the invitee joins with one click; someone with no account yet makes
 * one by choosing a password (the token, sent to that email, is what proves the email); someone
 * whose account exists signs in first, however they sign in, and comes back. Nobody else can
 * accept it: a session of another person is told so.
 */
public final class InvitationPage {
    private final InvitationService invitations;
    private final Sessions sessions;
    private final Browser browser;
    private final Pages pages;

    public InvitationPage(InvitationService invitations, Sessions sessions, Browser browser, Pages pages) {
        this.invitations = invitations;
        this.sessions = sessions;
        this.browser = browser;
        this.pages = pages;
    }

    public void register(Routes routes) {
        routes.operational(Method.GET, "/invitations/accept", this::show);
        routes.operational(Method.POST, "/invitations/accept", this::accept);
    }

    private void show(ServerRequest req, ServerResponse res) {
        String token = req.query().first("token").orElse("");
        render(req, res, token, null, Status.OK_200);
    }

    private void render(ServerRequest req, ServerResponse res, String token, String message, Status status) {
        Optional<InvitationService.Pending> pending = invitations.pending(token);
        if (pending.isEmpty()) {
            pages.message(res, Status.NOT_FOUND_404, "Invitation not found",
                    "This invitation does not exist, was used already, was revoked or has expired. Ask for a new one.",
                    RequestInfo.of(req).requestId());
            return;
        }
        InvitationService.Pending p = pending.get();
        Optional<Sessions.Session> session = sessions.find(browser.cookie(req, Sessions.COOKIE));
        String mode;
        String note = message;
        if (session.isPresent() && session.get().email().equals(p.invitation().email())) {
            mode = "accept";
        } else if (session.isPresent()) {
            mode = "none";
            note = "You are signed in as " + session.get().email() + ", but this invitation is for "
                    + p.invitation().email() + ". Sign out, then open the link again.";
        } else {
            mode = p.accountExists() ? "signin" : "create";
        }
        String here = "/invitations/accept?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        pages.render(res, status, "invitation.jte", new Views.Invitation(browser.csrfToken(browser.browserId(req, res)),
                token, p.organizationName(), p.invitation().role().wire(), p.invitation().email(), mode, note,
                "/login?return_to=" + URLEncoder.encode(here, StandardCharsets.UTF_8), null, Passwords.MIN_LENGTH));
    }

    private void accept(ServerRequest req, ServerResponse res) {
        Parameters form = Browser.form(req);
        String token = form.first("token").orElse("");
        RequestInfo info = RequestInfo.of(req);
        if (!browser.fromOurPage(req, form)) {
            render(req, res, token, "This form has expired. Try again.", Status.FORBIDDEN_403);
            return;
        }
        Optional<InvitationService.Pending> pending = invitations.pending(token);
        if (pending.isEmpty()) {
            render(req, res, token, null, Status.NOT_FOUND_404);
            return;
        }
        Optional<Sessions.Session> session = sessions.find(browser.cookie(req, Sessions.COOKIE));
        Optional<String> password = form.first("password").asOptional();
        if (session.isEmpty() && !pending.get().accountExists()) {
            String weakness = Passwords.weakness(password.orElse(""));
            if (weakness != null) {
                render(req, res, token, weakness + ".", Status.BAD_REQUEST_400);
                return;
            }
        }
        InvitationService.Accepted accepted;
        try {
            accepted = invitations.acceptAs(session.map(s -> new InvitationService.SignedIn(s.userId(),
                            new Actor(Optional.of(s.userId()), Optional.of(s.id()), false, info.clientAddress(),
                                    info.requestId()))),
                    token, session.isPresent() ? Optional.empty() : password, info.clientAddress(), info.requestId());
        } catch (ApiError e) {
            render(req, res, token, e.publicMessage() + ".", Status.create(e.code().status()));
            return;
        }
        if (session.isEmpty()) {
            sessions.begin(res, accepted.member().userId(), "password", info);
        }
        Object key = accepted.firstKey() == null ? null : accepted.firstKey().get("key");
        pages.render(res, Status.OK_200, "invitation.jte", new Views.Invitation(null, null,
                accepted.organization().name(), accepted.member().role().wire(), accepted.member().email(), "key",
                null, null, key == null ? "" : key.toString(), Passwords.MIN_LENGTH));
    }
}
