package dev.corral.agents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.CorralException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agents Corral knows: the bundled {@code agents/registry.json}, merged with the user's
 * {@code CORRAL_HOME/agents.json} when that exists. A user entry replaces the bundled entry with the same id
 * (whole, not field by field); new ids are appended. Both files use the ACP Registry format, either
 * {@code {"version": …, "agents": [ … ]}} or a bare list of entries.
 *
 * <p>Immutable and thread-safe once loaded. Loading throws {@link AgentRegistryException} naming the file
 * and the problem when a file is not valid JSON or an entry lacks what Corral needs.
 */
public final class AgentRegistry {

    static final String BUNDLED_RESOURCE = "/agents/registry.json";
    public static final String USER_FILE = "agents.json";

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Map<String, AgentEntry> entries;

    private AgentRegistry(Map<String, AgentEntry> entries) {
        this.entries = entries;
    }

    /** The bundled registry only. */
    public static AgentRegistry bundled() {
        return new AgentRegistry(readBundled());
    }

    /** The bundled registry merged with {@code corralHome/agents.json} if that file exists. */
    public static AgentRegistry load(Path corralHome) {
        Map<String, AgentEntry> merged = readBundled();
        Path user = corralHome.resolve(USER_FILE);
        if (Files.exists(user)) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(user);
            } catch (IOException e) {
                throw new AgentRegistryException("Cannot read agent registry file " + user + ": " + e.getMessage(), e);
            }
            for (AgentEntry e : parse(bytes, user.toString())) merged.put(e.id(), e);
        }
        return new AgentRegistry(merged);
    }

    /** Parses one registry document; {@code source} names it in error messages. */
    public static List<AgentEntry> parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AgentRegistryException("Agent registry file " + source + " is not valid JSON: "
                    + e.getOriginalMessage() + location(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode list = root != null && root.isObject() ? root.get("agents") : root;
        if (list == null || !list.isArray()) {
            throw new AgentRegistryException("Agent registry file " + source
                    + " must be a list of agents or an object with an \"agents\" list", null);
        }
        List<AgentEntry> out = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            AgentEntry entry;
            try {
                entry = JSON.treeToValue(list.get(i), AgentEntry.class);
            } catch (JsonProcessingException e) {
                throw new AgentRegistryException("Agent registry file " + source + ", agent #" + i + ": "
                        + e.getOriginalMessage(), e);
            }
            validate(entry, source, i);
            Integer before = seen.put(entry.id(), i);
            if (before != null) {
                throw new AgentRegistryException("Agent registry file " + source + " lists agent \""
                        + entry.id() + "\" twice (#" + before + " and #" + i + ")", null);
            }
            out.add(entry);
        }
        return out;
    }

    public List<AgentEntry> all() {
        return List.copyOf(entries.values());
    }

    public Optional<AgentEntry> find(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** The entry with this id, or a not-found {@link CorralException}. */
    public AgentEntry get(String id) {
        return find(id).orElseThrow(() -> CorralException.notFound("agent", id));
    }

    private static Map<String, AgentEntry> readBundled() {
        try (InputStream in = AgentRegistry.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) throw new IllegalStateException("bundled resource missing: " + BUNDLED_RESOURCE);
            Map<String, AgentEntry> map = new LinkedHashMap<>();
            for (AgentEntry e : parse(in.readAllBytes(), "(bundled)" + BUNDLED_RESOURCE)) map.put(e.id(), e);
            return map;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void validate(AgentEntry e, String source, int index) {
        String where = "Agent registry file " + source + ", agent #" + index;
        if (e.id() == null || !ID.matcher(e.id()).matches()) {
            throw new AgentRegistryException(where + ": \"id\" must be lower-case letters, digits, '.', '_' or '-' (got "
                    + (e.id() == null ? "nothing" : "\"" + e.id() + "\"") + ")", null);
        }
        where += " (\"" + e.id() + "\")";
        if (e.version() == null || e.version().isBlank()) {
            throw new AgentRegistryException(where + ": \"version\" is missing", null);
        }
        if (e.distribution() == null
                || (e.distribution().npx() == null && e.distribution().uvx() == null && e.distribution().binary() == null)) {
            throw new AgentRegistryException(where + ": \"distribution\" needs one of npx, uvx or binary", null);
        }
        if (e.npx() != null && (e.npx().packageSpec() == null || e.npx().packageSpec().isBlank())) {
            throw new AgentRegistryException(where + ": \"distribution.npx.package\" is missing", null);
        }
    }

    private static String location(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }
}
