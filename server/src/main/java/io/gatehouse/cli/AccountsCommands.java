package io.gatehouse.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse users|orgs|members|invitations|service-accounts|workspaces …}: the same operations as the API. */
public final class AccountsCommands {
    private AccountsCommands() {
    }

    @Command(name = "users", description = "Users.", subcommands = {
            Users.Create.class, Users.ListUsers.class, Users.Disable.class, Users.Enable.class})
    public static final class Users {
        @Command(name = "create")
        static final class Create extends Call {
            @Option(names = "--email", required = true) String email;
            @Option(names = "--name") String name;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/users";
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("email", email);
                KeysCommand.put(b, "name", name);
                return Optional.of(b);
            }
        }

        @Command(name = "list")
        static final class ListUsers extends Call {
            String method() {
                return "GET";
            }

            String path() {
                return "/v1/users";
            }
        }

        @Command(name = "disable", description = "Disable a user: all their keys stop working.")
        static final class Disable extends Call {
            @Parameters(index = "0") String id;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/users/" + encode(id) + "/disable";
            }
        }

        @Command(name = "enable")
        static final class Enable extends Call {
            @Parameters(index = "0") String id;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/users/" + encode(id) + "/enable";
            }
        }
    }

    @Command(name = "orgs", description = "Organizations.", subcommands = {
            Orgs.Create.class, Orgs.ListOrgs.class, Orgs.Update.class})
    public static final class Orgs {
        @Command(name = "create")
        static final class Create extends Call {
            @Option(names = "--name", required = true) String name;
            @Option(names = "--plan") String plan;
            @Option(names = "--owner", description = "user id of the first owner (an existing user)") String owner;
            @Option(names = "--owner-email", description = "invite the first owner by email: the invitation's "
                    + "token is printed once, for them to accept") String ownerEmail;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs";
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("name", name);
                KeysCommand.put(b, "plan", plan);
                KeysCommand.put(b, "owner_user_id", owner);
                KeysCommand.put(b, "owner_email", ownerEmail);
                return Optional.of(b);
            }
        }

        @Command(name = "list")
        static final class ListOrgs extends Call {
            String method() {
                return "GET";
            }

            String path() {
                return "/v1/orgs";
            }
        }

        @Command(name = "update")
        static final class Update extends Call {
            @Parameters(index = "0") String id;
            @Option(names = "--name") String name;
            @Option(names = "--plan") String plan;
            @Option(names = "--one-key-per-user", arity = "1") Boolean oneKeyPerUser;
            @Option(names = "--max-key-lifetime-days") Integer maxDays;

            String method() {
                return "PATCH";
            }

            String path() {
                return "/v1/orgs/" + encode(id);
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                KeysCommand.put(b, "name", name);
                KeysCommand.put(b, "plan", plan);
                KeysCommand.put(b, "one_key_per_user", oneKeyPerUser);
                KeysCommand.put(b, "max_key_lifetime_days", maxDays);
                return Optional.of(b);
            }
        }
    }

    @Command(name = "members", description = "Organization members.", subcommands = {
            Members.ListMembers.class, Members.Set.class, Members.Remove.class})
    public static final class Members {
        @Command(name = "list")
        static final class ListMembers extends Call {
            @Parameters(index = "0", description = "organization id") String org;

            String method() {
                return "GET";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/members";
            }
        }

        @Command(name = "set", description = "Change a member's role (an operator may also add an existing user).")
        static final class Set extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Parameters(index = "1", description = "user id") String user;
            @Option(names = "--role", required = true, description = "owner, admin or member") String role;

            String method() {
                return "PUT";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/members/" + encode(user);
            }

            @Override
            Optional<Map<String, Object>> body() {
                return Optional.of(Map.of("role", role));
            }
        }

        @Command(name = "remove", description = "Remove a member: their keys of this organization stop working.")
        static final class Remove extends Call {
            @Parameters(index = "0") String org;
            @Parameters(index = "1") String user;

            String method() {
                return "DELETE";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/members/" + encode(user);
            }
        }
    }

    @Command(name = "invitations", description = "Invite people to an organization; accept an invitation.",
            subcommands = {Invitations.Create.class, Invitations.ListInvitations.class, Invitations.Revoke.class,
                    Invitations.Accept.class})
    public static final class Invitations {
        @Command(name = "create", description = "Invite an email address; the token is printed once, to pass on.")
        static final class Create extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Option(names = "--email", required = true) String email;
            @Option(names = "--role", description = "owner, admin or member (default member)") String role;
            @Option(names = "--workspaces", description = "comma-separated workspace ids to join on acceptance")
            String workspaces;
            @Option(names = "--expires-in-days", description = "1 to 30 (default 7)") Integer days;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/invitations";
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("email", email);
                KeysCommand.put(b, "role", role);
                if (workspaces != null) {
                    b.put("workspaces", KeysCommand.list(workspaces));
                }
                KeysCommand.put(b, "expires_in_days", days);
                return Optional.of(b);
            }
        }

        @Command(name = "list")
        static final class ListInvitations extends Call {
            @Parameters(index = "0", description = "organization id") String org;

            String method() {
                return "GET";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/invitations";
            }
        }

        @Command(name = "revoke")
        static final class Revoke extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Parameters(index = "1", description = "invitation id") String invitation;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/invitations/" + encode(invitation) + "/revoke";
            }
        }

        @Command(name = "accept", description = "Accept an invitation as yourself: with --key, one of your own "
                + "keys; without, when you have no account yet (one is made). Prints your first key once.")
        static final class Accept extends Call {
            @Parameters(index = "0", description = "the invitation token (gh_inv_…), or - to read it from standard "
                    + "input and keep it out of the shell's history") String token;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/invitations/accept";
            }

            @Override
            Optional<Map<String, Object>> body() {
                if (token.equals("-")) {
                    try {
                        return Optional.of(Map.of("token", new String(System.in.readAllBytes(),
                                java.nio.charset.StandardCharsets.UTF_8).strip()));
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException("cannot read the token from standard input: " + e.getMessage());
                    }
                }
                return Optional.of(Map.of("token", token));
            }

            @Override
            boolean personal() {
                return true;
            }
        }
    }

    @Command(name = "service-accounts", description = "An organization's users for automation.",
            subcommands = {ServiceAccounts.Create.class})
    public static final class ServiceAccounts {
        @Command(name = "create", description = "Create a service account; then 'keys create --user' for its keys.")
        static final class Create extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Option(names = "--name", required = true) String name;
            @Option(names = "--role", description = "member or admin (default member)") String role;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/service-accounts";
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("name", name);
                KeysCommand.put(b, "role", role);
                return Optional.of(b);
            }
        }
    }

    @Command(name = "workspaces", description = "Workspaces.", subcommands = {
            Workspaces.Create.class, Workspaces.ListWorkspaces.class, Workspaces.AddMember.class,
            Workspaces.RemoveMember.class})
    public static final class Workspaces {
        @Command(name = "create")
        static final class Create extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Option(names = "--name", required = true) String name;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/workspaces";
            }

            @Override
            Optional<Map<String, Object>> body() {
                return Optional.of(Map.of("name", name));
            }
        }

        @Command(name = "list")
        static final class ListWorkspaces extends Call {
            @Parameters(index = "0", description = "organization id") String org;

            String method() {
                return "GET";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/workspaces";
            }
        }

        @Command(name = "add-member")
        static final class AddMember extends Call {
            @Parameters(index = "0") String workspace;
            @Parameters(index = "1") String user;

            String method() {
                return "PUT";
            }

            String path() {
                return "/v1/workspaces/" + encode(workspace) + "/members/" + encode(user);
            }
        }

        @Command(name = "remove-member")
        static final class RemoveMember extends Call {
            @Parameters(index = "0") String workspace;
            @Parameters(index = "1") String user;

            String method() {
                return "DELETE";
            }

            String path() {
                return "/v1/workspaces/" + encode(workspace) + "/members/" + encode(user);
            }
        }
    }
}
