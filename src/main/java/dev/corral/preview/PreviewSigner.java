package dev.corral.preview;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs preview URLs: HMAC-SHA256 over preview id, workspace, port and expiry with a daemon secret kept in
 * {@code CORRAL_HOME/preview.key} (mode 0600, created on first start). Thread-safe.
 */
public final class PreviewSigner {
    private final byte[] key;

    private PreviewSigner(byte[] key) {
        this.key = key;
    }

    /** Reads the key file, creating it (0600, 32 random bytes) when missing. */
    public static PreviewSigner loadOrCreate(Path home) throws IOException {
        Path file = home.resolve("preview.key");
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            Path tmp = Files.createTempFile(home, ".preview", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getEncoder().encodeToString(raw) + "\n");
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                if (!Files.exists(file)) throw e;
            }
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return new PreviewSigner(Base64.getDecoder().decode(Files.readString(file).trim()));
    }

    /** The URL-safe signature of one preview grant. */
    public String sign(String previewId, String workspaceId, int port, long expiresAtEpochSecond) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            String data = previewId + "\n" + workspaceId + "\n" + port + "\n" + expiresAtEpochSecond;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time check of {@code signature} against the grant. */
    public boolean verify(String signature, String previewId, String workspaceId, int port, long expiresAtEpochSecond) {
        byte[] want = sign(previewId, workspaceId, port, expiresAtEpochSecond).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(want, signature.getBytes(StandardCharsets.US_ASCII));
    }
}
