package dev.corral.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/** The local API token: {@code CORRAL_HOME/token}, created with mode 0600 on first start. */
public final class ApiToken {
    private final String value;

    private ApiToken(String value) {
        this.value = value;
    }

    /** Reads the token file, creating it (0600) with a fresh random token when missing. */
    public static ApiToken loadOrCreate(Path home) throws IOException {
        Files.createDirectories(home);
        Path file = home.resolve("token");
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Path tmp = Files.createTempFile(home, ".token", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
            try {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                if (!Files.exists(file)) throw e;
            }
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return new ApiToken(Files.readString(file).trim());
    }

    /** Reads an existing token file, or returns null. */
    public static String read(Path home) {
        try {
            return Files.readString(home.resolve("token")).trim();
        } catch (IOException e) {
            return null;
        }
    }

    public String value() {
        return value;
    }

    /** Constant-time comparison with a presented token. */
    public boolean matches(String presented) {
        if (presented == null) return false;
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }
}
