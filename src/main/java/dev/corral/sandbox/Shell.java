package dev.corral.sandbox;

import java.util.List;
import java.util.stream.Collectors;

/** POSIX shell quoting for the small launcher scripts the backends build. */
final class Shell {
    private Shell() {}

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String join(List<String> words) {
        return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
    }
}
