package io.gatehouse.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.http.Json;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * Base of every management command: names one API call; prints the JSON answer on standard output
 * (exit 0) or the error on standard error (exit 1).
 */
abstract class Call implements Callable<Integer> {
    @Mixin
    Api api;

    /** Set by the root command: loads the local configuration when no --url is given. */
    static Supplier<GatehouseConfig> localConfig = () -> {
        throw new IllegalStateException("no configuration");
    };

    abstract String method();

    abstract String path();

    Optional<Map<String, Object>> body() {
        return Optional.empty();
    }

    /** Whether the call acts for whoever runs it, with their own {@code --key} or none (never an admin's). */
    boolean personal() {
        return false;
    }

    @Override
    public Integer call() throws Exception {
        Api.Answer answer = api.call(localConfig, method(), path(), body(), personal());
        String text = Json.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer.body());
        if (answer.ok()) {
            if (answer.status() != 204) { // a 204 has nothing to show: success is the exit status
                System.out.println(text);
            }
            return 0;
        }
        return fail(answer);
    }

    /** Prints a refused call's error on standard error; the exit status for it. */
    static int fail(Api.Answer answer) throws com.fasterxml.jackson.core.JsonProcessingException {
        System.err.println("HTTP " + answer.status() + ": "
                + Json.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer.body()));
        return 1;
    }

    static String encode(String segment) {
        return java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8);
    }
}
