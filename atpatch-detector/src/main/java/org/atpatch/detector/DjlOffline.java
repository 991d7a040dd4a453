package org.atpatch.detector;

/**
 * Keeps DJL offline (docs/architecture.md, "Design decisions": offline natives): sets {@code
 * ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true} unless the user set them, so the PyTorch
 * engine loads its native library from the Maven jar and never tries to download or report. Every
 * AtPatch entry point calls {@link #configure()} before it touches {@code ai.djl.engine.Engine}.
 */
public final class DjlOffline {

    private DjlOffline() {}

    /** Sets the offline properties if they are not set yet; idempotent and cheap. */
    public static void configure() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
