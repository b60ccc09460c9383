package io.gatehouse.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Person;
import io.gatehouse.testing.TestNode;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** Accepting an invitation in a browser: a new person makes an account, a known one signs in first. */
class InvitationPageIT {
    static TestNode node;
    static OAuthSteps steps;
    static JsonNode owner;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        steps = new OAuthSteps(node);
        owner = steps.signUp("owner@pages.test", "Pages");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static String invite(String email) {
        return node.invite(owner.path("key").path("key").asText(), owner.path("organization").path("id").asText(),
                email, "member");
    }

    static URI link(String token) {
        return node.server.publicUrl().resolve("/invitations/accept?token=" + token);
    }

    @Test
    void aNewPersonChoosesAPasswordJoinsAndIsSignedIn() {
        Person person = new Person(node.server.publicUrl());
        String token = invite("newbie@pages.test");
        Person.Page page = person.open(link(token));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("Join Pages", "newbie@pages.test", "Choose a password");

        Person.Page weak = person.submit(page, "/invitations/accept", Map.of("password", List.of("short")));
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.body()).contains("at least 10 characters");

        Person.Page joined = person.submit(page, "/invitations/accept",
                Map.of("password", List.of("a long enough password")));
        assertThat(joined.status()).as(joined.body()).isEqualTo(200);
        assertThat(joined.body()).contains("Your first API key", "gk_");
        assertThat(person.open(node.server.publicUrl().resolve("/login")).body())
                .contains("signed in as newbie@pages.test");
        // The link is spent.
        assertThat(new Person(node.server.publicUrl()).open(link(token)).status()).isEqualTo(404);
    }

    @Test
    void someoneWithAnAccountSignsInFirstAndOnlyTheInviteeMayAccept() {
        steps.signUp("known@pages.test", "Elsewhere");
        String token = invite("known@pages.test");

        Person stranger = new Person(node.server.publicUrl());
        steps.signUp("stranger@pages.test", "Stranger's");
        Person.Page login = stranger.open(node.server.publicUrl().resolve("/login"));
        stranger.submit(login, "/login", Map.of("email", List.of("stranger@pages.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        Person.Page notYours = stranger.open(link(token));
        assertThat(notYours.body()).contains("this invitation is for known@pages.test").doesNotContain("<button");

        Person person = new Person(node.server.publicUrl());
        Person.Page page = person.open(link(token));
        assertThat(page.body()).contains("Sign in, and you will come back here");
        Person.Page signIn = person.open(node.server.publicUrl().resolve(
                page.body().split("href=\"")[2].split("\"")[0].replace("&amp;", "&")));
        Person.Page back = person.submit(signIn, "/login", Map.of("email", List.of("known@pages.test"),
                "password", List.of(OAuthSteps.PASSWORD)));
        assertThat(back.body()).contains("Join Pages</button>");
        Person.Page joined = person.submit(back, "/invitations/accept", Map.of());
        assertThat(joined.status()).as(joined.body()).isEqualTo(200);
        JsonNode members = ok(node.http.get("/v1/orgs/" + owner.path("organization").path("id").asText() + "/members",
                owner.path("key").path("key").asText()), 200);
        assertThat(members.toString()).contains("known@pages.test");
    }
}
