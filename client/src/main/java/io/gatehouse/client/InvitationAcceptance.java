package io.gatehouse.client;

/**
 * What accepting an invitation gives ({@code InvitationAcceptance}): the organization joined, the
 * membership, and the person's first key there, shown once.
 *
 * @param object always {@code invitation_acceptance}
 * @param organization the organization joined
 * @param member the new membership
 * @param accountCreated whether an account was made now (no account had the email)
 * @param key the person's first key of the organization, with its plaintext
 * @see "docs/operations.md, Invitations"
 */
public record InvitationAcceptance(String object, Organization organization, Member member, boolean accountCreated,
                                   IssuedApiKey key) {
}
