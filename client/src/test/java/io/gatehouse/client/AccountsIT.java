package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Users, organizations, members, invitations and service accounts through the SDK against a real node. */
class AccountsIT {
    private static LocalGatehouse node;
    private static Gatehouse operator;

    @BeforeAll
    static void start() {
        node = LocalGatehouse.start();
        operator = node.operator();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void operatorCreatesListsDisablesAndEnablesUsers() {
        User user = operator.users().create(new CreateUserRequest("Ada@Example.test", "Ada"));
        assertThat(user.email()).isEqualTo("ada@example.test");
        assertThat(user.name()).contains("Ada");
        assertThat(user.kind()).isEqualTo("person");
        assertThat(operator.users().list()).extracting(User::id).contains(user.id());
        assertThat(operator.users().get(user.id()).disabled()).isFalse();
        assertThat(operator.users().disable(user.id()).disabledAt()).isPresent();
        assertThat(operator.users().enable(user.id()).disabled()).isFalse();
        assertThatThrownBy(() -> operator.users().create(CreateUserRequest.of("ada@example.test")))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.reason()).contains("email_taken"));
    }

    @Test
    void operatorCreatesAnOrganizationAndInvitesItsOwnerWhoAcceptsWithoutACredential() {
        Organization org = operator.organizations().create(CreateOrganizationRequest.named("Acme")
                .withOwnerEmail("boss@acme.test"));
        IssuedInvitation invitation = org.ownerInvitation().orElseThrow();
        assertThat(invitation.token()).startsWith("gh_inv_");
        assertThat(invitation.invitation().role()).isEqualTo("owner");
        assertThat(invitation.invitation().state()).isEqualTo("pending");

        InvitationAcceptance accepted = node.anonymous().invitations().accept(invitation.token());
        assertThat(accepted.accountCreated()).isTrue();
        assertThat(accepted.organization().id()).isEqualTo(org.id());
        assertThat(accepted.member().role()).isEqualTo("owner");
        assertThat(accepted.key().key()).isNotBlank();

        assertThat(operator.organizations().get(org.id()).ownerInvitation()).isEmpty();
        assertThat(operator.organizations().list()).extracting(Organization::id).contains(org.id());
        Organization updated = operator.withKey(accepted.key().key()).organizations().update(org.id(),
                UpdateOrganizationRequest.changes().withName("Acme Ltd").withOneKeyPerUser(true)
                        .withMaxKeyLifetimeDays(365));
        assertThat(updated.name()).isEqualTo("Acme Ltd");
        assertThat(updated.oneKeyPerUser()).isTrue();
        assertThat(updated.maxKeyLifetimeDays()).hasValue(365);
        assertThat(operator.organizations().update(org.id(), UpdateOrganizationRequest.changes()
                .withoutMaxKeyLifetime()).maxKeyLifetimeDays()).isEmpty();
    }

    @Test
    void ownerInvitesListsAndRevokesAndMembersAreManaged() {
        Organization org = operator.organizations().create(CreateOrganizationRequest.named("Beta")
                .withOwnerEmail("owner@beta.test"));
        Gatehouse owner = operator.withKey(node.anonymous().invitations()
                .accept(org.ownerInvitation().orElseThrow().token()).key().key());

        IssuedInvitation dev = owner.invitations().create(org.id(), CreateInvitationRequest.to("dev@beta.test")
                .withRole("member").withExpiresInDays(3));
        IssuedInvitation gone = owner.invitations().create(org.id(), CreateInvitationRequest.to("gone@beta.test"));
        assertThat(owner.invitations().list(org.id())).extracting(Invitation::id).contains(dev.id(), gone.id());
        assertThat(owner.invitations().revoke(org.id(), gone.id()).state()).isEqualTo("revoked");
        assertThatThrownBy(() -> node.anonymous().invitations().accept(gone.token()))
                .isInstanceOfSatisfying(GoneException.class,
                        e -> assertThat(e.reason()).contains("invitation_revoked"));

        // A person who already has an account accepts with a credential of their own.
        User existing = operator.users().create(CreateUserRequest.of("dev@beta.test"));
        Organization home = operator.organizations().create(CreateOrganizationRequest.named("Home").withOwner(existing.id()));
        // a key that manages its owner's keys speaks for them (keys:self)
        String homeKey = operator.keys().create(CreateKeyRequest.named("home").withOrganization(home.id())
                .withUser(existing.id()).withPermissions("api:*", "mcp:*", "keys:self")).key();
        InvitationAcceptance joined = operator.withKey(homeKey).invitations().accept(dev.token());
        assertThat(joined.accountCreated()).isFalse();
        assertThat(joined.member().userId()).isEqualTo(existing.id());

        assertThat(owner.members().list(org.id())).extracting(Member::userId).contains(existing.id());
        assertThat(owner.members().setRole(org.id(), existing.id(), "admin").role()).isEqualTo("admin");
        owner.members().remove(org.id(), existing.id());
        assertThat(owner.members().list(org.id())).extracting(Member::userId).doesNotContain(existing.id());
    }

    @Test
    void ownerCreatesAServiceAccountAndMakesItsKey() {
        Organization org = operator.organizations().create(CreateOrganizationRequest.named("Gamma")
                .withOwnerEmail("owner@gamma.test"));
        Gatehouse owner = operator.withKey(node.anonymous().invitations()
                .accept(org.ownerInvitation().orElseThrow().token()).key().key());
        ServiceAccount bot = owner.serviceAccounts().create(org.id(), CreateServiceAccountRequest.of("ci-bot", "member"));
        assertThat(bot.user().kind()).isEqualTo("service");
        assertThat(bot.user().organizationId()).contains(org.id());
        assertThat(bot.role()).isEqualTo("member");
        IssuedApiKey key = owner.keys().create(CreateKeyRequest.named("ci").withUser(bot.id()));
        assertThat(key.apiKey().userId()).isEqualTo(bot.id());
    }
}
