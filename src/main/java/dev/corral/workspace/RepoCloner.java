package dev.corral.workspace;

import dev.corral.CorralException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import dev.corral.sandbox.GitCredential;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Clones a repository on the host with git, reporting progress, and checks out a ref. */
final class RepoCloner {
    private static final Pattern PERCENT = Pattern.compile("^([A-Za-z ]+):\\s+(\\d{1,3})%");
    private static final Pattern URL = Pattern.compile("^(https?|ssh|git|file)://.+|^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:.+");

    private final Duration timeout;

    RepoCloner(Duration timeout) {
        this.timeout = timeout;
    }

    /** Rejects sources git should not be handed; returns the source to clone. */
    static String validate(String repo) {
        if (repo == null || repo.isBlank()) throw CorralException.badRequest("invalid_repo", "repo must not be empty");
        if (repo.startsWith("-") || repo.contains("::") || repo.indexOf('\n') >= 0 || repo.indexOf('\0') >= 0) {
            throw CorralException.badRequest("invalid_repo", "repo is not a git URL or local path: " + repo);
        }
        if (URL.matcher(repo).matches()) return repo;
        Path p = Path.of(repo);
        if (!p.isAbsolute()) {
            throw CorralException.badRequest("invalid_repo", "repo must be a git URL or an absolute local path: " + repo);
        }
        if (!Files.isDirectory(p)) throw CorralException.badRequest("invalid_repo", "no such directory: " + repo);
        if (!Files.exists(p.resolve(".git")) && !Files.exists(p.resolve("HEAD"))) {
            throw CorralException.badRequest("invalid_repo", repo + " is not a git repository (use \"path\" to mount a directory as it is)");
        }
        return repo;
    }

    static void validateRef(String ref) {
        if (ref != null && (ref.isBlank() || ref.startsWith("-") || !ref.matches("[A-Za-z0-9._/@{}^~-]+"))) {
            throw CorralException.badRequest("invalid_ref", "not a valid git ref: " + ref);
        }
    }

    /**
     * Clones {@code repo} into {@code dest} (which must not exist) and checks out {@code ref} when given.
     * {@code progress} receives a phase and a percentage.
     */
    void cloneInto(String repo, String ref, Path dest, GitCredential credential, Consumer<Progress> progress) {
        var argv = new ArrayList<>(List.of("git", "-c", "protocol.ext.allow=never", "-c", "core.hooksPath=/dev/null"));
        if (credential != null) {
            // The helper reads the token from this process's environment: never on a command line, in a file or a URL.
            argv.addAll(List.of("-c", "credential.helper=", "-c", "credential.helper=!f() { test \"$1\" = get && "
                    + "printf 'username=%s\\npassword=%s\\n' \"$CORRAL_GIT_USERNAME\" \"$CORRAL_GIT_TOKEN\"; }; f"));
        }
        argv.addAll(List.of("clone", "--progress", "--", repo, dest.toString()));
        run(argv, credential, progress, "clone");
        if (ref != null) {
            run(List.of("git", "-C", dest.toString(), "-c", "core.hooksPath=/dev/null", "checkout", "--progress", ref, "--"),
                    null, progress, "checkout");
        }
        progress.accept(new Progress("done", 100));
    }

    private void run(List<String> argv, GitCredential credential, Consumer<Progress> progress, String what) {
        var pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("GIT_TERMINAL_PROMPT", "0");
        pb.environment().put("GIT_ASKPASS", "/bin/false");
        if (credential != null) {
            pb.environment().put("CORRAL_GIT_USERNAME", credential.username());
            pb.environment().put("CORRAL_GIT_TOKEN", credential.token());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "git_missing", "cannot run git (apt-get install git): " + e.getMessage());
        }
        Deque<String> last = new ArrayDeque<>();
        try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            // git separates progress updates with carriage returns.
            var line = new StringBuilder();
            int ch;
            while ((ch = in.read()) >= 0) {
                if (ch == '\r' || ch == '\n') {
                    String l = line.toString().trim();
                    line.setLength(0);
                    if (l.isEmpty()) continue;
                    Matcher m = PERCENT.matcher(l.replaceFirst("^remote: ", ""));
                    if (m.find()) progress.accept(new Progress(what + ": " + m.group(1).trim().toLowerCase(), Integer.parseInt(m.group(2))));
                    last.addLast(l);
                    if (last.size() > 8) last.removeFirst();
                } else {
                    line.append((char) ch);
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CorralException(CorralException.Kind.TIMEOUT, "git_timeout", "git " + what + " timed out");
            }
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "git_failed", "git " + what + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.INTERNAL, "git_failed", "interrupted during git " + what);
        }
        if (p.exitValue() != 0) {
            List<String> errors = new ArrayList<>(last);
            throw CorralException.badRequest("git_failed", "git " + what + " failed (exit " + p.exitValue() + "): "
                    + String.join(" | ", errors));
        }
    }

    /** Progress of a long operation. */
    record Progress(String phase, int percent) {}
}
