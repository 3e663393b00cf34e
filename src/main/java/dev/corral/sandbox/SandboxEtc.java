package dev.corral.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The minimal {@code /etc} every sandbox sees, built once per daemon start: a generated passwd, group and nsswitch.conf
 * for the sandbox user, plus copies of the few host files programs need (certificates, the dynamic linker cache,
 * alternatives, terminfo…). Nothing that holds a secret: no shadow, no ssh keys, no host users. Symbolic links are
 * copied as links; they point into the read-only {@code /usr}. Mounting one directory keeps sandbox start cheap.
 */
final class SandboxEtc {
    /** Host entries under /etc copied into the sandbox's /etc. */
    static final List<String> PASSTHROUGH = List.of("ssl", "ca-certificates", "alternatives", "ld.so.cache",
            "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "terminfo", "bash.bashrc", "profile", "profile.d",
            "inputrc", "mime.types", "services", "protocols", "host.conf", "gai.conf", "os-release", "debian_version",
            "magic", "magic.mime", "shells", "environment", "locale.alias", "vim", "gitconfig");

    private SandboxEtc() {}

    /** (Re)builds the directory and returns it. */
    static Path build(Path dir) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".new");
        BwrapSandbox.deleteTree(tmp);
        Files.createDirectories(tmp);
        for (String name : PASSTHROUGH) {
            Path src = Path.of("/etc", name);
            if (Files.exists(src, LinkOption.NOFOLLOW_LINKS)) copy(src, tmp.resolve(name));
        }
        int uid = SandboxSpec.UID;
        Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "corral:x:" + uid + ":" + uid + ":corral:" + SandboxSpec.HOME + ":/bin/bash\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        Files.writeString(tmp.resolve("group"), "root:x:0:\ncorral:x:" + uid + ":\nnogroup:x:65534:\n");
        Files.writeString(tmp.resolve("nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
        // Mount points for the files bound per sandbox.
        for (String name : List.of("hosts", "hostname", "resolv.conf")) Files.writeString(tmp.resolve(name), "");
        BwrapSandbox.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private static void copy(Path src, Path dst) throws IOException {
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(dst.resolve(src.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Path target = dst.resolve(src.relativize(f).toString());
                if (target.equals(dst) && Files.isDirectory(dst)) return FileVisitResult.CONTINUE;
                Files.copy(f, target, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE; // unreadable host file: the sandbox goes without it
            }
        });
    }
}
