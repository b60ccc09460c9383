package io.gatehouse.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse credits|usage|alerts …}: the same operations as {@code /v1/orgs/{id}/credits…}, {@code …/usage}, {@code …/alerts}. */
public final class BillingCommands {
    private BillingCommands() {
    }

    @Command(name = "credits", description = "An organization's credit pool: show it, add credits (operators), list its ledger.",
            subcommands = {Credits.Show.class, Credits.Add.class, Credits.Ledger.class})
    public static final class Credits {
        @Command(name = "show", description = "The pool: balance, allocation left this cycle, purchased, in leases.")
        static final class Show extends Call {
            @Parameters(index = "0", description = "organization id") String org;

            String method() {
                return "GET";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/credits";
            }
        }

        @Command(name = "add", description = "Add purchased credits, or adjust them (operators only), once per "
                + "--idempotency-key: the same key again changes nothing.")
        static final class Add extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Option(names = "--credits", required = true, description = "a purchase: a positive number; an adjustment: "
                    + "any but 0 (never below zero purchased credits)") long credits;
            @Option(names = "--idempotency-key", required = true, description = "names this change, e.g. the payment's "
                    + "id: 1 to 200 of letters, digits and _ . : -") String idempotencyKey;
            @Option(names = "--kind", description = "purchase (default) or adjustment") String kind;
            @Option(names = "--note", description = "why, kept in the ledger") String note;

            String method() {
                return "POST";
            }

            String path() {
                return "/v1/orgs/" + encode(org) + "/credits";
            }

            @Override
            Optional<Map<String, Object>> body() {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("credits", credits);
                b.put("idempotency_key", idempotencyKey);
                KeysCommand.put(b, "kind", kind);
                KeysCommand.put(b, "note", note);
                return Optional.of(b);
            }
        }

        @Command(name = "ledger", description = "Every movement of the pool, newest first.")
        static final class Ledger extends Call {
            @Parameters(index = "0", description = "organization id") String org;
            @Option(names = "--limit", description = "1 to 1000 (default 100)") Integer limit;
            @Option(names = "--before", description = "only movements older than this one (cl_…): the last id of "
                    + "the page before") String before;

            String method() {
                return "GET";
            }

            String path() {
                Map<String, Object> q = new LinkedHashMap<>();
                q.put("limit", limit);
                q.put("before", before);
                return "/v1/orgs/" + encode(org) + "/credits/ledger" + query(q);
            }
        }
    }

    @Command(name = "usage", description = "An organization's calls, errors and credits in time buckets.")
    public static final class Usage extends Call {
        @Parameters(index = "0", description = "organization id") String org;
        @Option(names = "--from", description = "start, e.g. 2027-01-01T00:00:00Z (default: a day before --to)") String from;
        @Option(names = "--to", description = "end, exclusive (default: now)") String to;
        @Option(names = "--granularity", description = "minute, hour (default) or day; at most 10000 buckets")
        String granularity;
        @Option(names = "--group-by", description = "credential, server or tool") String groupBy;
        @Option(names = "--credential", description = "only this key (key_…) or connected app (grant_…)") String credential;

        String method() {
            return "GET";
        }

        String path() {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("from", from);
            q.put("to", to);
            q.put("granularity", granularity);
            q.put("group_by", groupBy);
            q.put("credential_id", credential);
            return "/v1/orgs/" + encode(org) + "/usage" + query(q);
        }
    }

    @Command(name = "alerts", description = "Alerts about an organization's credentials (burst, error_spike, "
            + "new_network), newest first.")
    public static final class Alerts extends Call {
        @Parameters(index = "0", description = "organization id") String org;
        @Option(names = "--limit", description = "1 to 1000 (default 100)") Integer limit;
        @Option(names = "--before", description = "only alerts older than this one (alert_…): the last id of the "
                + "page before") String before;

        String method() {
            return "GET";
        }

        String path() {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("limit", limit);
            q.put("before", before);
            return "/v1/orgs/" + encode(org) + "/alerts" + query(q);
        }
    }

    /** The options that were given, as a query string; none given, none at all. */
    private static String query(Map<String, Object> parameters) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        parameters.forEach((name, value) -> {
            if (value != null) {
                q.add(name + "=" + Call.encode(String.valueOf(value)));
            }
        });
        return q.toString();
    }
}
