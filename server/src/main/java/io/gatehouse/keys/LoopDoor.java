package io.gatehouse.keys;

import io.gatehouse.door.Credentials;
import io.gatehouse.door.Door;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.edge.Call;
import io.gatehouse.errors.ApiError;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The door for a call on the edge's event loop: decided from memory where memory can tell
 * ({@link Door#decide}), else off the loop ({@link Door#admit} may read the store), the call
 * resuming on its loop either way. A yes is noted as a use with the client's address.
 */
public final class LoopDoor {
    private final Door door;

    public LoopDoor(Door door) {
        this.door = door;
    }

    /** The credential the call carries, or empty; a malformed one is refused (thrown). */
    public static Optional<String> credential(Call call) {
        return Credentials.extract(call.headers().getAll("authorization"), call.headers().getAll("x-api-key"));
    }

    /** Admits the call's credential for {@code requirement}, then goes on with the caller; a refusal is thrown or answered. */
    public void admit(Call call, Optional<String> credential, Requirement requirement, Consumer<Principal> then) {
        Door.Decision decision = credential.isEmpty() ? door.decideMissing() : door.decide(credential.get(), requirement);
        switch (decision) {
            case Door.Admitted admitted -> {
                Principal p = admitted.admission().principal();
                admitted.admission().commit(call.clientAddress());
                call.credential(p.credentialId());
                then.accept(p);
            }
            case Door.Refused refused -> throw refused.error();
            case Door.Unsettled unsettled -> call.offLoop(
                    () -> door.admit(credential, requirement, call.clientAddress()), p -> {
                        call.credential(p.credentialId());
                        then.accept(p);
                    });
        }
    }

    /** What the door says of a credential that is not the caller's (the verify API's): a principal, or the denial. */
    public record Verdict(Principal principal, ApiError denial) {
    }

    /** Decides {@code credential} for {@code requirement}, noting its use from {@code address}; a denial is a verdict, not an error. */
    public void check(Call call, String credential, Requirement requirement, String address, Consumer<Verdict> then) {
        switch (door.decide(credential, requirement)) {
            case Door.Admitted admitted -> {
                admitted.admission().commit(address);
                then.accept(new Verdict(admitted.admission().principal(), null));
            }
            case Door.Refused refused -> then.accept(new Verdict(null, refused.error()));
            case Door.Unsettled unsettled -> call.offLoop(() -> {
                try {
                    return new Verdict(door.admit(Optional.of(credential), requirement, address), null);
                } catch (ApiError denied) {
                    return new Verdict(null, denied);
                }
            }, then);
        }
    }
}
