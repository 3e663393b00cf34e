package dev.corral.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.corral.CorralException;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies JWTs issued by a control plane against its JWKS: asymmetric signatures only (RS*, PS*, ES*; never HS* or
 * {@code none}), exact issuer and audience, {@code exp} required and checked. Keys are cached, refreshed periodically and
 * fetched again when a token names an unknown {@code kid} (at most once per {@code minRefresh}). Thread-safe.
 *
 * <p>Claims: {@code sub} (the user) and {@code workspaces}, an array of workspace ids the token may touch ({@code "*"}
 * for all, which also allows creating workspaces and managing credentials).
 */
public final class JwtVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    /**
     * @param jwksUrl    where the issuer publishes its keys
     * @param cacheTtl   how long fetched keys are used before a refresh
     * @param minRefresh the least time between two fetches (unknown kids do not hammer the issuer)
     */
    public JwtVerifier(String jwksUrl, String issuer, String audience, Duration cacheTtl, Duration minRefresh) {
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.<SecurityContext>create(URI.create(jwksUrl).toURL())
                    .cache(cacheTtl.toMillis(), 15_000)
                    .rateLimited(minRefresh.toMillis())
                    .refreshAheadCache(false)
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("CORRAL_JWT_JWKS_URL is not a URL: " + jwksUrl);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iat")));
    }

    /** From CORRAL_JWT_JWKS_URL, CORRAL_JWT_ISSUER, CORRAL_JWT_AUDIENCE; null when JWT mode is off. */
    public static JwtVerifier fromEnvironment(Map<String, String> env) {
        String url = env.get("CORRAL_JWT_JWKS_URL");
        if (url == null || url.isBlank()) return null;
        String iss = env.get("CORRAL_JWT_ISSUER");
        String aud = env.get("CORRAL_JWT_AUDIENCE");
        if (iss == null || iss.isBlank() || aud == null || aud.isBlank()) {
            throw new IllegalArgumentException("JWT mode needs CORRAL_JWT_ISSUER and CORRAL_JWT_AUDIENCE with CORRAL_JWT_JWKS_URL");
        }
        long ttl = Long.parseLong(env.getOrDefault("CORRAL_JWT_JWKS_CACHE_SECONDS", "600"));
        long min = Long.parseLong(env.getOrDefault("CORRAL_JWT_JWKS_MIN_REFRESH_SECONDS", "5"));
        return new JwtVerifier(url, iss, aud, Duration.ofSeconds(ttl), Duration.ofSeconds(min));
    }

    /** True when {@code token} has the shape of a JWS (three dot-separated parts). */
    public static boolean looksLikeJwt(String token) {
        return token != null && token.chars().filter(c -> c == '.').count() == 2;
    }

    /**
     * Verifies {@code token} and returns who it speaks for.
     *
     * @throws CorralException 401 {@code invalid_token} naming what is wrong (never echoing the token)
     */
    public Principal verify(String token) {
        try {
            JWTClaimsSet claims = processor.process(token, null);
            Set<String> workspaces = new HashSet<>();
            Object ws = claims.getClaim("workspaces");
            if (ws instanceof List<?> list) list.forEach(o -> workspaces.add(String.valueOf(o)));
            else if (ws instanceof String s) workspaces.add(s);
            return new Principal(claims.getSubject(), Set.copyOf(workspaces), "jwt:" + claims.getSubject());
        } catch (ParseException e) {
            throw invalid("malformed token");
        } catch (BadJOSEException e) {
            throw invalid(e.getMessage());
        } catch (JOSEException e) {
            throw invalid("cannot verify the signature: " + e.getMessage());
        }
    }

    private static CorralException invalid(String why) {
        return new CorralException(CorralException.Kind.UNAUTHORIZED, "invalid_token", "token refused: " + why);
    }
}
