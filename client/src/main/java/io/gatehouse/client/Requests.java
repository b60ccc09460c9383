package io.gatehouse.client;

import java.util.List;

/** Request bodies that the resource methods build from their parameters, never seen by users. */
final class Requests {
    private Requests() {
    }

    /** {@code RollKeyRequest}. */
    record RollKey(long graceSeconds) {
    }

    /** {@code ImportKeysRequest}. */
    record ImportKeys(List<ImportKey> keys) {
    }

    /** {@code PutMemberRequest}. */
    record PutMember(String role) {
    }

    /** {@code CreateWorkspaceRequest}. */
    record CreateWorkspace(String name) {
    }

    /** {@code AcceptInvitationRequest}; the token is a secret. */
    record AcceptInvitation(String token) {
        @Override
        public String toString() {
            return "AcceptInvitation[token=" + Secrets.mask(token) + "]";
        }
    }
}
