package dev.corral.secrets;

import dev.corral.CorralException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 256-bit key that encrypts stored credentials. From {@code CORRAL_MASTER_KEY} (base64), from the file named by
 * {@code CORRAL_MASTER_KEY_FILE}, or from {@code CORRAL_HOME/master.key} (created, mode 0600, on first use).
 * {@link #id()} is a short fingerprint stored beside each record, so a wrong key is detected and named.
 */
public final class MasterKey {
    private final SecretKey key;
    private final String id;
    private final Path file; // null when the key came from the environment

    private MasterKey(byte[] raw, Path file) {
        if (raw.length != 32) {
            throw new CorralException(CorralException.Kind.INTERNAL, "bad_master_key",
                    "the master key must be 32 bytes (base64 of 32 random bytes), got " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.id = fingerprint(raw);
        this.file = file;
    }

    public static MasterKey load(Path home, Map<String, String> env) {
        try {
            String inline = env.get("CORRAL_MASTER_KEY");
            if (inline != null && !inline.isBlank()) return new MasterKey(decode(inline, "CORRAL_MASTER_KEY"), null);
            String named = env.get("CORRAL_MASTER_KEY_FILE");
            Path file = named != null && !named.isBlank() ? Path.of(named) : home.resolve("master.key");
            if (!Files.exists(file)) {
                if (named != null && !named.isBlank()) {
                    throw new CorralException(CorralException.Kind.INTERNAL, "bad_master_key", "CORRAL_MASTER_KEY_FILE " + file + " does not exist");
                }
                write(file, random());
            }
            return new MasterKey(decode(Files.readString(file, StandardCharsets.US_ASCII), file.toString()), file);
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "bad_master_key", "cannot read the master key: " + e.getMessage());
        }
    }

    /** A fresh random key, not yet stored. */
    static byte[] random() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return raw;
    }

    /** A key with new bytes that will live where {@code like}'s does, not yet written (see {@link #save()}). */
    static MasterKey unsaved(byte[] raw, MasterKey like) {
        return new MasterKey(raw, like.file);
    }

    /** Writes this key to its file (atomically, mode 0600). */
    void save() throws IOException {
        if (file == null) throw new IOException("this master key has no file");
        write(file, key.getEncoded());
    }

    boolean rotatable() {
        return file != null;
    }

    private static void write(Path file, byte[] raw) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".master", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, Base64.getEncoder().encodeToString(raw) + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] decode(String text, String source) {
        try {
            return Base64.getDecoder().decode(text.trim());
        } catch (IllegalArgumentException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "bad_master_key", "the master key in " + source + " is not base64");
        }
    }

    private static String fingerprint(byte[] raw) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("corral-master-key:" + Base64.getEncoder().encodeToString(raw))
                    .getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    SecretKey secretKey() {
        return key;
    }

    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return "MasterKey[" + id + "]"; // never the key itself
    }
}
