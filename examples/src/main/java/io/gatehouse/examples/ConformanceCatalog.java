package io.gatehouse.examples;

import io.modelcontextprotocol.server.McpServerFeatures.SyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult.CompleteCompletion;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptRequest;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.Prompt;
import io.modelcontextprotocol.spec.McpSchema.PromptArgument;
import io.modelcontextprotocol.spec.McpSchema.PromptMessage;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.ResourceContents;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resources, resource template, prompts and completions the conformance suite's server
 * scenarios read (resources-*, prompts-*, completion-complete). Texts are the ones the scenarios
 * describe.
 */
final class ConformanceCatalog {
    private static final Pattern TEMPLATE_URI = Pattern.compile("test://template/([^/]+)/data");
    private static final List<String> ARG1_SUGGESTIONS = List.of("paris", "park", "party", "pasta");

    private ConformanceCatalog() {
    }

    static List<SyncResourceSpecification> resources() {
        return List.of(
                textResource("test://static-text", "Static Text Resource", "A static text resource for testing",
                        "This is the content of the static text resource."),
                new SyncResourceSpecification(Resource.builder("test://static-binary", "Static Binary Resource")
                        .description("A static binary resource (a 1x1 PNG) for testing")
                        .mimeType("image/png")
                        .build(),
                        (exchange, request) -> read(BlobResourceContents
                                .builder("test://static-binary", ConformanceTools.PNG_1X1).mimeType("image/png").build())),
                // resources-subscribe / -unsubscribe: the SDK keeps the subscriptions once the
                // capability says subscribe=true; nothing here ever changes, so no update is sent.
                textResource("test://watched-resource", "Watched Resource", "A resource clients may subscribe to",
                        "This is a watched resource content."));
    }

    static List<SyncResourceTemplateSpecification> resourceTemplates() {
        ResourceTemplate template = ResourceTemplate.builder("test://template/{id}/data", "Template Resource")
                .description("A resource template: {id} is substituted into the data")
                .mimeType("application/json")
                .build();
        return List.of(new SyncResourceTemplateSpecification(template, (exchange, request) -> {
            Matcher matcher = TEMPLATE_URI.matcher(request.uri());
            String id = matcher.matches() ? matcher.group(1) : "";
            String json = Json.write(Map.of("id", id, "templateTest", true, "data", "Data for ID: " + id));
            return read(TextResourceContents.builder(request.uri(), json).mimeType("application/json").build());
        }));
    }

    static List<SyncPromptSpecification> prompts() {
        return List.of(
                new SyncPromptSpecification(Prompt.builder("test_simple_prompt")
                        .description("A simple prompt without arguments").arguments(List.of()).build(),
                        (exchange, request) -> messages(TextContent.builder("This is a simple prompt for testing.").build())),
                new SyncPromptSpecification(Prompt.builder("test_prompt_with_arguments")
                        .description("A prompt with two required arguments")
                        .arguments(List.of(argument("arg1", "First test argument"), argument("arg2", "Second test argument")))
                        .build(),
                        (exchange, request) -> messages(TextContent.builder("Prompt with arguments: arg1='%s', arg2='%s'"
                                .formatted(argument(request, "arg1"), argument(request, "arg2"))).build())),
                new SyncPromptSpecification(Prompt.builder("test_prompt_with_embedded_resource")
                        .description("A prompt that embeds the resource it is given")
                        .arguments(List.of(argument("resourceUri", "URI of the resource to embed")))
                        .build(),
                        (exchange, request) -> messages(
                                EmbeddedResource.builder(TextResourceContents.builder(
                                        argument(request, "resourceUri"),
                                        "Embedded resource content for testing.").mimeType("text/plain").build()).build(),
                                TextContent.builder("Please process the embedded resource above.").build())),
                new SyncPromptSpecification(Prompt.builder("test_prompt_with_image")
                        .description("A prompt with an image").arguments(List.of()).build(),
                        (exchange, request) -> messages(ImageContent.builder(ConformanceTools.PNG_1X1, "image/png").build(),
                                TextContent.builder("Please analyze the image above.").build())));
    }

    /** completion-complete: suggestions for test_prompt_with_arguments' arg1 that start with what was typed. */
    static List<SyncCompletionSpecification> completions() {
        return List.of(new SyncCompletionSpecification(new PromptReference("test_prompt_with_arguments"),
                (exchange, request) -> {
                    String typed = request.argument().value() == null ? ""
                            : request.argument().value().toLowerCase(Locale.ROOT);
                    List<String> values = "arg1".equals(request.argument().name())
                            ? ARG1_SUGGESTIONS.stream().filter(v -> v.startsWith(typed)).toList()
                            : List.of();
                    return new CompleteResult(new CompleteCompletion(values, values.size(), false));
                }));
    }

    private static SyncResourceSpecification textResource(String uri, String name, String description, String text) {
        Resource resource = Resource.builder(uri, name).description(description).mimeType("text/plain").build();
        return new SyncResourceSpecification(resource,
                (exchange, request) -> read(TextResourceContents.builder(uri, text).mimeType("text/plain").build()));
    }

    private static ReadResourceResult read(ResourceContents contents) {
        return ReadResourceResult.builder(List.of(contents)).build();
    }

    private static PromptArgument argument(String name, String description) {
        return PromptArgument.builder(name).description(description).required(true).build();
    }

    private static String argument(GetPromptRequest request, String name) {
        Object value = request.arguments() == null ? null : request.arguments().get(name);
        return value == null ? "" : String.valueOf(value);
    }

    private static GetPromptResult messages(Content... contents) {
        return GetPromptResult.builder(Arrays.stream(contents)
                .map(content -> PromptMessage.builder(Role.USER, content).build())
                .toList()).build();
    }
}
