package dev.corral.agents;

import java.util.regex.Pattern;

/**
 * An npm package pinned to one exact version ({@code name@1.2.3}), or a local tarball (pinned by its bytes).
 * Tags such as {@code latest} and ranges such as {@code ^1.2} are refused: an install must be repeatable.
 */
public record PackageSpec(String name, String version, String tarball) {

    private static final Pattern EXACT_VERSION =
            Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    private static final Pattern NAME = Pattern.compile("(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*");

    /**
     * Parses {@code spec}; a bare name takes {@code fallbackVersion}.
     *
     * @throws IllegalArgumentException naming what is wrong when the spec is not pinned or not a package name
     */
    public static PackageSpec parse(String spec, String fallbackVersion) {
        if (spec.startsWith("file:") || spec.startsWith("/") || spec.endsWith(".tgz")) {
            return new PackageSpec(null, fallbackVersion, spec.startsWith("file:") ? spec.substring(5) : spec);
        }
        int at = spec.lastIndexOf('@');
        String name = at > 0 ? spec.substring(0, at) : spec;
        String version = at > 0 ? spec.substring(at + 1) : fallbackVersion;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not an npm package name: \"" + name + "\"");
        }
        if (version == null || !EXACT_VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("package " + name + " must be pinned to an exact version, not \""
                    + version + "\"");
        }
        return new PackageSpec(name, version, null);
    }

    /** What to hand to {@code npm install}. */
    public String installArgument() {
        return tarball != null ? tarball : name + "@" + version;
    }
}
