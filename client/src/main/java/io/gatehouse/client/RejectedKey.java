package io.gatehouse.client;

/**
 * A key that the door would refuse ({@code RejectedKey}): the error is the one the key's holder
 * would get, e.g. {@code unauthorized}/{@code revoked} or {@code forbidden}/{@code out_of_scope}.
 *
 * @param valid always false
 * @param error why the door would refuse the key
 * @param verifiedBy the id of the credential that made the verifying call
 * @see "docs/errors.md, Door reasons"
 */
public record RejectedKey(boolean valid, ErrorDetail error, String verifiedBy) implements VerifyKeyResult {
}
