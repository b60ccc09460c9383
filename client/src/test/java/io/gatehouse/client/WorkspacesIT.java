package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Workspaces and their members, servers and the audit log through the SDK against a real node. */
class WorkspacesIT {
    private static LocalGatehouse node;
    private static Gatehouse operator;
    private static Gatehouse owner;
    private static Organization org;
    private static String ownerId;

    @BeforeAll
    static void start() {
        node = LocalGatehouse.start();
        operator = node.operator();
        org = operator.organizations().create(CreateOrganizationRequest.named("Spaces").withOwnerEmail("o@spaces.test"));
        InvitationAcceptance a = node.anonymous().invitations().accept(org.ownerInvitation().orElseThrow().token());
        owner = operator.withKey(a.key().key());
        ownerId = a.member().userId();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void ownerManagesWorkspacesAndTheirMembers() {
        Workspace ws = owner.workspaces().create(org.id(), "Research");
        assertThat(ws.organizationId()).isEqualTo(org.id());
        assertThat(owner.workspaces().list(org.id())).extracting(Workspace::id).contains(ws.id());
        assertThat(owner.workspaces().get(ws.id()).name()).isEqualTo("Research");

        WorkspaceMember m = owner.workspaces().addMember(ws.id(), ownerId);
        assertThat(m.workspaceId()).isEqualTo(ws.id());
        assertThat(owner.workspaces().members(ws.id())).extracting(WorkspaceMember::userId).contains(ownerId);
        owner.workspaces().removeMember(ws.id(), ownerId);
        assertThat(owner.workspaces().members(ws.id())).extracting(WorkspaceMember::userId).doesNotContain(ownerId);

        owner.workspaces().delete(ws.id());
        assertThatThrownBy(() -> owner.workspaces().get(ws.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void ownerRegistersChangesAndRemovesAServer() {
        Server s = owner.servers().create(CreateServerRequest.of("Search", "search-" + System.nanoTime() % 100000,
                "http://h/mcp").withOrganization(org.id()).withHiddenTools("delete_all"));
        assertThat(s.organizationId()).contains(org.id());
        assertThat(s.kind()).isEqualTo("mcp");
        assertThat(s.hiddenTools()).containsExactly("delete_all");
        assertThat(s.endpoint()).contains("/mcp/" + s.slug());
        assertThat(owner.servers().list()).extracting(Server::id).contains(s.id());
        assertThat(owner.servers().get(s.id()).name()).isEqualTo("Search");

        Server changed = owner.servers().update(s.id(), UpdateServerRequest.changes().withName("Search v2")
                .withTimeoutMs(10_000).withUpstreamAuth(CreateServerRequest.UpstreamAuth.fixed("X-Api-Key", "upstream-secret")));
        assertThat(changed.name()).isEqualTo("Search v2");
        assertThat(changed.timeoutMs()).isEqualTo(10_000);
        assertThat(changed.upstreamAuth().type()).isEqualTo("static");
        assertThat(changed.upstreamAuth().valueSet()).isTrue();

        owner.servers().delete(s.id());
        assertThatThrownBy(() -> owner.servers().get(s.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void theAuditLogRecordsWhatWasDone() {
        Workspace ws = owner.workspaces().create(org.id(), "Audited");
        assertThat(owner.audit().list(org.id(), 50))
                .anySatisfy(e -> {
                    assertThat(e.targetId()).contains(ws.id());
                    assertThat(e.organizationId()).contains(org.id());
                    assertThat(e.requestId()).isNotBlank();
                });
        assertThat(operator.audit().list()).isNotEmpty();
    }
}
