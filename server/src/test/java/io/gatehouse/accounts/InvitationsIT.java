package io.gatehouse.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.testing.Http;
import io.gatehouse.testing.TestNode;
import io.gatehouse.testing.TestNode.Person;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.gatehouse.testing.TestNode.auth;
import static io.gatehouse.testing.TestNode.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Membership with the member's consent: an owner or admin invites an email address, and only the
 * person it names accepts, once. And service accounts: an organization's own users for automation,
 * which belong to it alone.
 */
class InvitationsIT {
    static TestNode node;
    static Person owner;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        owner = node.owner("owner@invites.test", "Invites", "free");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aNewPersonAcceptsOnceAndGetsAFirstKeyShownOnce() {
        String ws = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "Ops")),
                201).path("id").asText();
        JsonNode invited = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", owner.key(),
                Map.of("email", " New.Person@Invites.TEST ", "role", "admin", "workspaces", List.of(ws))), 201);
        String token = invited.path("token").asText();
        assertThat(token).startsWith("gh_inv_");
        assertThat(invited.path("email").asText()).isEqualTo("new.person@invites.test");
        assertThat(invited.path("state").asText()).isEqualTo("pending");

        JsonNode listed = ok(node.http.get("/v1/orgs/" + owner.orgId() + "/invitations", owner.key()), 200);
        assertThat(listed.toString()).doesNotContain(token).contains(invited.path("id").asText());

        JsonNode accepted = ok(node.acceptInvitation(token, null), 201);
        assertThat(accepted.path("account_created").asBoolean()).isTrue();
        assertThat(accepted.path("member").path("role").asText()).isEqualTo("admin");
        String key = accepted.path("key").path("key").asText();
        JsonNode who = ok(node.whoami(key), 200);
        assertThat(who.path("organization_id").asText()).isEqualTo(owner.orgId());
        assertThat(TestNode.texts(who.path("workspaces"))).containsExactly(ws);
        assertThat(TestNode.texts(who.path("permissions"))).contains("keys:self", "admin:write", "mcp:*", "api:*");
        assertThat(ok(node.http.get("/v1/keys/" + accepted.path("key").path("id").asText(), key), 200).has("key")).isFalse();

        Http.Response again = node.acceptInvitation(token, null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.reason()).isEqualTo("invitation_used");
        JsonNode after = ok(node.http.get("/v1/orgs/" + owner.orgId() + "/invitations", owner.key()), 200).path("data");
        assertThat(after.get(0).path("state").asText()).isEqualTo("accepted");
        assertThat(after.get(0).path("accepted_by").asText()).isEqualTo(who.path("user_id").asText());
    }

    @Test
    void onlyThePersonInvitedAcceptsAndAnExistingPersonWithTheirOwnCredential() {
        Person elsewhere = node.owner("existing@other.test", "Other", "free");
        Person stranger = node.owner("stranger@third.test", "Third", "free");
        String token = node.invite(owner.key(), owner.orgId(), "existing@other.test", "member");

        Http.Response withoutCredential = node.acceptInvitation(token, null);
        assertThat(withoutCredential.status()).isEqualTo(409);
        assertThat(withoutCredential.reason()).isEqualTo("account_exists");
        Http.Response bySomeoneElse = node.acceptInvitation(token, stranger.key());
        assertThat(bySomeoneElse.status()).isEqualTo(403);
        assertThat(bySomeoneElse.reason()).isEqualTo("not_invitee");
        Http.Response byTheOperator = node.acceptInvitation(token, node.adminKey);
        assertThat(byTheOperator.status()).isEqualTo(403);
        assertThat(byTheOperator.reason()).isEqualTo("not_invitee");
        Http.Response byTheInviter = node.acceptInvitation(token, owner.key());
        assertThat(byTheInviter.status()).isEqualTo(403);

        JsonNode accepted = ok(node.acceptInvitation(token, elsewhere.key()), 201);
        assertThat(accepted.path("account_created").asBoolean()).isFalse();
        assertThat(accepted.path("member").path("user_id").asText()).isEqualTo(elsewhere.userId());
        JsonNode who = ok(node.whoami(accepted.path("key").path("key").asText()), 200);
        assertThat(who.path("organization_id").asText()).isEqualTo(owner.orgId());
        assertThat(who.path("user_id").asText()).isEqualTo(elsewhere.userId());
        assertThat(who.path("role").asText()).isEqualTo("member");
        assertThat(TestNode.texts(who.path("permissions"))).doesNotContain("admin:read", "admin:write");
    }

    @Test
    void revokedExpiredAndUnknownInvitationsAreRefusedClearly() {
        String revokedToken = node.invite(owner.key(), owner.orgId(), "revoked@invites.test", "member");
        String id = ok(node.http.get("/v1/orgs/" + owner.orgId() + "/invitations", owner.key()), 200).path("data")
                .findParents("email").stream().filter(i -> i.path("email").asText().equals("revoked@invites.test"))
                .findFirst().orElseThrow().path("id").asText();
        JsonNode revoked = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/invitations/" + id + "/revoke",
                owner.key(), null), 200);
        assertThat(revoked.path("state").asText()).isEqualTo("revoked");
        Http.Response r = node.acceptInvitation(revokedToken, null);
        assertThat(r.status()).isEqualTo(410);
        assertThat(r.reason()).isEqualTo("invitation_revoked");

        String expiredToken = node.invite(owner.key(), owner.orgId(), "late@invites.test", "member");
        node.server.services().db().jdbi().useHandle(h -> h.createUpdate(
                "UPDATE invitations SET expires_at = 1 WHERE email = 'late@invites.test'").execute());
        r = node.acceptInvitation(expiredToken, null);
        assertThat(r.status()).isEqualTo(410);
        assertThat(r.reason()).isEqualTo("invitation_expired");

        r = node.acceptInvitation("gh_inv_" + "A".repeat(32), null);
        assertThat(r.status()).isEqualTo(404);
        r = node.acceptInvitation("not-a-token", null);
        assertThat(r.status()).isEqualTo(400);
        r = node.http.send("POST", "/v1/invitations/accept", Map.of(), Map.of());
        assertThat(r.status()).isEqualTo(400);
        r = node.acceptInvitation(expiredToken, "gk_live_not_a_real_key");
        assertThat(r.status()).as("a credential that fails is refused, not ignored").isEqualTo(401);
    }

    @Test
    void anInvitationPassesOnNoMoreThanTheInvitingKeyReaches() {
        String ws1 = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "One")),
                201).path("id").asText();
        String ws2 = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/workspaces", owner.key(), Map.of("name", "Two")),
                201).path("id").asText();
        ok(node.http.send("PUT", "/v1/workspaces/" + ws1 + "/members/" + owner.userId(), auth(owner.key()), null), 200);
        JsonNode narrowKey = ok(node.http.post("/v1/me/keys", owner.key(), Map.of("name", "narrow", "workspaces",
                List.of(ws1), "servers", List.of("search"), "permissions", List.of("admin:write", "mcp:*"),
                "expires", "30d")), 201);
        String narrow = narrowKey.path("key").asText();
        Http.Response outside = node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", narrow,
                Map.of("email", "wide@invites.test", "role", "admin", "workspaces", List.of(ws1, ws2)));
        assertThat(outside.status()).isEqualTo(403);
        assertThat(outside.reason()).isEqualTo("exceeds_reach");

        String token = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", narrow,
                Map.of("email", "puppet@invites.test", "role", "admin", "workspaces", List.of(ws1))), 201)
                .path("token").asText();
        JsonNode first = ok(node.acceptInvitation(token, null), 201).path("key");
        assertThat(TestNode.texts(first.path("scope").path("workspaces"))).containsExactly(ws1);
        assertThat(TestNode.texts(first.path("scope").path("servers"))).containsExactly("search");
        assertThat(TestNode.texts(first.path("scope").path("permissions"))).containsExactlyInAnyOrder(
                "admin:write", "mcp:*", "keys:self");
        assertThat(first.path("expires_at").asText()).isEqualTo(narrowKey.path("expires_at").asText());

        // an invitation outlives nothing: once the inviting key is revoked, its invitations give nothing
        String late = node.invite(narrow, owner.orgId(), "late-puppet@invites.test", "member");
        ok(node.http.post("/v1/keys/" + narrowKey.path("id").asText() + "/revoke", owner.key(), null), 200);
        Http.Response gone = node.acceptInvitation(late, null);
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.reason()).isEqualTo("inviter_gone");

        // and a credential that manages no keys does not speak for its owner
        Person someone = node.owner("weak@weak.test", "Weak", "free");
        String weak = ok(node.http.post("/v1/me/keys", someone.key(), Map.of("name", "weak",
                "permissions", List.of("mcp:*"))), 201).path("key").asText();
        String forSomeone = node.invite(owner.key(), owner.orgId(), "weak@weak.test", "member");
        Http.Response weakAccept = node.acceptInvitation(forSomeone, weak);
        assertThat(weakAccept.status()).isEqualTo(403);
        assertThat(weakAccept.reason()).isEqualTo("missing_permission");
    }

    @Test
    void whoMayInviteWhom() {
        Person admin = node.member(owner.orgId(), "admin@invites.test", "admin");
        Person member = node.member(owner.orgId(), "member@invites.test", "member");
        Http.Response ownerByAdmin = node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", admin.key(),
                Map.of("email", "boss@invites.test", "role", "owner"));
        assertThat(ownerByAdmin.status()).isEqualTo(403);
        assertThat(ownerByAdmin.reason()).isEqualTo("not_owner");
        ok(node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", admin.key(),
                Map.of("email", "helper@invites.test", "role", "member")), 201);
        Http.Response byMember = node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", member.key(),
                Map.of("email", "friend@invites.test"));
        assertThat(byMember.status()).isEqualTo(403);
        Person outsider = node.owner("outsider@else.test", "Else", "free");
        Http.Response intoAnother = node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", outsider.key(),
                Map.of("email", "friend@invites.test"));
        assertThat(intoAnother.status()).isEqualTo(404);
        Http.Response already = node.http.post("/v1/orgs/" + owner.orgId() + "/invitations", owner.key(),
                Map.of("email", "member@invites.test"));
        assertThat(already.status()).isEqualTo(409);
        assertThat(already.reason()).isEqualTo("already_member");
    }

    @Test
    void serviceAccountsBelongToOneOrganizationAndTheirAdminsMakeTheirKeys() {
        JsonNode bot = ok(node.http.post("/v1/orgs/" + owner.orgId() + "/service-accounts", owner.key(),
                Map.of("name", "CI bot")), 201);
        String botId = bot.path("id").asText();
        assertThat(bot.path("kind").asText()).isEqualTo("service");
        assertThat(bot.path("organization_id").asText()).isEqualTo(owner.orgId());
        assertThat(bot.path("role").asText()).isEqualTo("member");
        JsonNode members = ok(node.http.get("/v1/orgs/" + owner.orgId() + "/members", owner.key()), 200).path("data");
        assertThat(members.findParents("user_id").stream().filter(m -> m.path("user_id").asText().equals(botId))
                .findFirst().orElseThrow().path("kind").asText()).isEqualTo("service");

        JsonNode botKey = ok(node.http.post("/v1/keys", owner.key(), Map.of("name", "deploy", "user_id", botId,
                "permissions", List.of("api:read"))), 201);
        JsonNode who = ok(node.whoami(botKey.path("key").asText()), 200);
        assertThat(who.path("user_id").asText()).isEqualTo(botId);
        Http.Response wider = node.http.post("/v1/keys", owner.key(), Map.of("name", "deploy", "user_id", botId,
                "permissions", List.of("keys:verify")));
        assertThat(wider.status()).isEqualTo(403);

        // nobody may take it elsewhere: not an invitation, not an operator, not another organization's admin
        Person other = node.owner("other-admin@svc.test", "Svc Other", "free");
        Http.Response invite = node.http.post("/v1/orgs/" + other.orgId() + "/invitations", other.key(),
                Map.of("email", bot.path("email").asText()));
        assertThat(invite.status()).isEqualTo(409);
        assertThat(invite.reason()).isEqualTo("service_account");
        Http.Response byOperator = node.http.send("PUT", "/v1/orgs/" + other.orgId() + "/members/" + botId,
                auth(node.adminKey), Map.of("role", "member"));
        assertThat(byOperator.status()).isEqualTo(409);
        assertThat(byOperator.reason()).isEqualTo("service_account");
        Http.Response keyElsewhere = node.http.post("/v1/keys", other.key(), Map.of("name", "x", "user_id", botId));
        assertThat(keyElsewhere.status()).as("not a member there: no such user").isEqualTo(404);
        Http.Response made = node.http.post("/v1/orgs/" + other.orgId() + "/service-accounts", other.key(),
                Map.of("name", "owner bot", "role", "owner"));
        assertThat(made.status()).isEqualTo(400);
        // its own key cannot accept an invitation: a service account joins nothing
        String token = node.invite(other.key(), other.orgId(), "someone@svc.test", "member");
        String botSelf = ok(node.http.post("/v1/keys", owner.key(), Map.of("name", "self", "user_id", botId,
                "permissions", List.of("keys:self"))), 201).path("key").asText();
        Http.Response accepted = node.acceptInvitation(token, botSelf);
        assertThat(accepted.status()).isEqualTo(409);
        assertThat(accepted.reason()).isEqualTo("service_account");
        // a member manages no service account
        Person member = node.member(owner.orgId(), "plain@svc.test", "member");
        assertThat(node.http.post("/v1/orgs/" + owner.orgId() + "/service-accounts", member.key(),
                Map.of("name", "mine")).status()).isEqualTo(403);
    }
}
