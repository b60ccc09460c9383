package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keys through the SDK against a real node: create, list, get, revoke, renew, roll, delete, import, whoami. */
class KeysIT {
    private static LocalGatehouse node;
    private static Gatehouse operator;
    private static Organization org;
    private static InvitationAcceptance owner;

    @BeforeAll
    static void start() {
        node = LocalGatehouse.start();
        operator = node.operator();
        org = operator.organizations().create(CreateOrganizationRequest.named("Keys Inc").withOwnerEmail("own@keys.test"));
        owner = node.anonymous().invitations().accept(org.ownerInvitation().orElseThrow().token());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void whoamiNamesTheCallingCredential() {
        WhoAmI me = operator.whoami();
        assertThat(me.operator()).isTrue();
        assertThat(me.credentialKind()).isEqualTo("operator");
        WhoAmI person = operator.withKey(owner.key().key()).whoami();
        assertThat(person.userId()).isEqualTo(owner.member().userId());
        assertThat(person.organizationId()).isEqualTo(org.id());
        assertThat(person.role()).contains("owner");
        assertThat(person.operator()).isFalse();
    }

    @Test
    void operatorCreatesAKeyThenGetsListsAndRevokesIt() {
        IssuedApiKey issued = operator.keys().create(CreateKeyRequest.named("CI").withOrganization(org.id())
                .withUser(owner.member().userId()).withServers(Targets.of("search")).withExpires("90d"));
        assertThat(issued.key()).startsWith("gk_live_");
        assertThat(issued.keyShownOnce()).isTrue();
        assertThat(issued.apiKey().scope().servers()).isEqualTo(Targets.of("search"));
        assertThat(issued.apiKey().expiresAt()).isPresent();
        assertThat(issued.apiKey().active()).isTrue();

        ApiKey got = operator.keys().get(issued.id());
        assertThat(got.masked()).endsWith(issued.key().substring(issued.key().length() - 4));
        assertThat(operator.keys().listInOrganization(org.id())).extracting(ApiKey::id).contains(issued.id());
        assertThat(operator.keys().listOfUser(org.id(), owner.member().userId())).extracting(ApiKey::id)
                .contains(issued.id(), owner.key().id());
        assertThat(operator.keys().list()).extracting(ApiKey::id).contains(issued.id());

        ApiKey revoked = operator.keys().revoke(issued.id());
        assertThat(revoked.state()).isEqualTo("revoked");
        assertThat(revoked.revokedAt()).isPresent();
        assertThatThrownBy(() -> operator.withKey(issued.key()).whoami())
                .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.reason()).contains("revoked"));
    }

    @Test
    void aPersonMakesListsRenewsRollsAndDeletesTheirOwnKeys() {
        Gatehouse me = operator.withKey(owner.key().key());
        IssuedApiKey mine = me.keys().createOwn(CreateOwnKeyRequest.named("laptop").withPermissions("mcp:*", "keys:self"));
        assertThat(mine.apiKey().userId()).isEqualTo(owner.member().userId());
        assertThat(me.keys().listOwn()).extracting(ApiKey::id).contains(mine.id(), owner.key().id());

        IssuedApiKey renewed = me.keys().renew(mine.id());
        assertThat(renewed.apiKey().rolledFrom()).contains(mine.id());
        assertThat(me.keys().get(mine.id()).revokedReason()).contains("renewed");

        IssuedApiKey rolled = me.keys().roll(renewed.id(), Duration.ofHours(1));
        assertThat(rolled.apiKey().rolledFrom()).contains(renewed.id());
        ApiKey old = me.keys().get(renewed.id());
        assertThat(old.state()).isEqualTo("active");
        assertThat(old.expiresAt()).isPresent();

        me.keys().delete(rolled.id());
        assertThat(me.keys().listOwn()).extracting(ApiKey::id).doesNotContain(rolled.id());
        assertThatThrownBy(() -> me.keys().get(rolled.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void importedKeysWorkByTheirHashAlone() throws Exception {
        String plaintext = "sk-live-per-abcdefghijklmnopqrstuvwxyz012345";
        String sha = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(plaintext.getBytes(StandardCharsets.UTF_8)));
        List<ApiKey> imported = operator.keys().importKeys(List.of(ImportKey.of(sha, "sk-live-per-", "Legacy token")
                .withOwner(org.id(), owner.member().userId()).withKind("legacy").withDisplay("sk-live-per-abcd", "2345")));
        assertThat(imported).singleElement().satisfies(k -> {
            assertThat(k.kind()).isEqualTo("legacy");
            assertThat(k.imported()).isTrue();
            assertThat(k.masked()).isEqualTo("sk-live-per-abcd…2345");
        });
        assertThat(operator.withKey(plaintext).whoami().credentialKind()).isEqualTo("legacy_key");
        assertThatThrownBy(() -> operator.keys().importKeys(List.of(ImportKey.of(sha, "sk-live-per-", "again")
                .withOwner(org.id(), owner.member().userId()))))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.reason()).contains("duplicate_key"));
    }
}
