package org.atpatch.examples.data;

import java.util.Arrays;

/** Command-line arguments as {@code exec:exec} passes them: one property, split on white space. */
public final class ExecArgs {

    private ExecArgs() {}

    /**
     * @param args the arguments; a single blank one (an unset property) means none
     * @return the arguments split on white space, blanks dropped
     */
    public static String[] split(String[] args) {
        return Arrays.stream(args).flatMap(a -> Arrays.stream(a.trim().split("\\s+")))
                .filter(a -> !a.isBlank()).toArray(String[]::new);
    }
}
