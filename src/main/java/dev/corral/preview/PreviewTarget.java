package dev.corral.preview;

import dev.corral.CorralException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A parsed preview URL {@code /preview/{previewId}/{signature}{rest}?{query}}, and once checked, its grant.
 *
 * @param prefix the part before {@code rest}: {@code /preview/{previewId}/{signature}}
 * @param rest   the raw path forwarded upstream (empty when the URL ends at the signature)
 */
public record PreviewTarget(String previewId, String signature, String prefix, String rest, String query,
                            Previews.Grant grant) {

    public static PreviewTarget parse(String rawPath, String query) {
        if (!rawPath.startsWith(Previews.PATH_PREFIX)) throw notFound();
        String tail = rawPath.substring(Previews.PATH_PREFIX.length());
        int a = tail.indexOf('/');
        if (a <= 0) throw notFound();
        int b = tail.indexOf('/', a + 1);
        String id = tail.substring(0, a);
        String sig = b < 0 ? tail.substring(a + 1) : tail.substring(a + 1, b);
        String rest = b < 0 ? "" : tail.substring(b);
        if (sig.isEmpty()) throw notFound();
        return new PreviewTarget(id, sig, Previews.PATH_PREFIX + id + "/" + sig, rest, query, null);
    }

    public PreviewTarget withGrant(Previews.Grant g) {
        return new PreviewTarget(previewId, signature, prefix, rest, query, g);
    }

    /** True when the URL ends at the signature: redirect to the trailing slash so relative links resolve. */
    public boolean needsSlash() {
        return rest.isEmpty();
    }

    /** The request target sent upstream. */
    public String upstreamTarget() {
        return (rest.isEmpty() ? "/" : rest) + (query == null ? "" : "?" + query);
    }

    /** A Cookie header without the daemon's own API cookie, which must never reach the sandbox. */
    public static String withoutDaemonCookie(String cookie) {
        return Arrays.stream(cookie.split(";")).map(String::trim)
                .filter(c -> !c.isEmpty() && !c.startsWith("corral_token="))
                .collect(Collectors.joining("; "));
    }

    private static CorralException notFound() {
        return new CorralException(CorralException.Kind.NOT_FOUND, "preview_not_found", "no such preview");
    }
}
