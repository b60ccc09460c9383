package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Gatehouse's error answers as the SDK's typed exceptions, from a real node (docs/errors.md). */
class ErrorsIT {
    private static LocalGatehouse node;
    private static Gatehouse operator;
    private static Gatehouse owner;
    private static Organization org;

    @BeforeAll
    static void start() {
        node = LocalGatehouse.start();
        operator = node.operator();
        org = operator.organizations().create(CreateOrganizationRequest.named("Errors").withOwnerEmail("o@e.test"));
        owner = operator.withKey(node.anonymous().invitations().accept(org.ownerInvitation().orElseThrow().token())
                .key().key());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void noCredentialIs401Missing() {
        assertThatThrownBy(() -> node.anonymous().whoami()).isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.code()).isEqualTo("unauthorized");
            assertThat(e.reason()).contains("missing");
            assertThat(e.errorMessage()).isNotBlank();
            assertThat(e.requestId()).startsWith("req_");
        });
    }

    @Test
    void aDeletedKeyIs401Revoked() {
        IssuedApiKey gone = owner.keys().createOwn(CreateOwnKeyRequest.named("short-lived"));
        owner.keys().delete(gone.id());
        assertThatThrownBy(() -> owner.withKey(gone.key()).whoami())
                .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.reason()).contains("revoked"));
    }

    @Test
    void anOwnerCreatingAUserIs403NotOperator() {
        assertThatThrownBy(() -> owner.users().create(CreateUserRequest.of("x@e.test")))
                .isInstanceOfSatisfying(ForbiddenException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.code()).isEqualTo("forbidden");
                    assertThat(e.reason()).contains("not_operator");
                });
    }

    @Test
    void aKeyWithoutThePermissionIs403InsufficientScopeNamingIt() {
        String dataOnly = owner.keys().createOwn(CreateOwnKeyRequest.named("data").withPermissions("mcp:*")).key();
        assertThatThrownBy(() -> owner.withKey(dataOnly).members().list(org.id()))
                .isInstanceOfSatisfying(ForbiddenException.class, e -> {
                    assertThat(e.code()).isEqualTo("insufficient_scope");
                    assertThat(e.scope()).contains("admin:read");
                });
    }

    @Test
    void anUnknownKeyIdIs404() {
        assertThatThrownBy(() -> owner.keys().get("key_doesNotExist0000000"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.reason()).contains("not_found");
                });
    }

    @Test
    void removingTheLastOwnerIs409LastOwner() {
        String ownerId = owner.whoami().userId();
        assertThatThrownBy(() -> operator.members().remove(org.id(), ownerId))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.reason()).contains("last_owner");
                });
    }

    @Test
    void anInvalidFieldIs400() {
        assertThatThrownBy(() -> owner.keys().createOwn(CreateOwnKeyRequest.named("bad").withExpiresInDays(0)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_request");
                    assertThat(e.reason()).contains("invalid_field");
                });
    }

    @Test
    void anAcceptedInvitationAcceptedAgainIs409AndAnUnknownTokenIs404() {
        IssuedInvitation inv = owner.invitations().create(org.id(), CreateInvitationRequest.to("twice@e.test"));
        node.anonymous().invitations().accept(inv.token());
        assertThatThrownBy(() -> node.anonymous().invitations().accept(inv.token()))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.reason()).contains("invitation_used"));
        assertThatThrownBy(() -> node.anonymous().invitations().accept("gh_inv_unknown"))
                .isInstanceOf(NotFoundException.class);
    }
}
