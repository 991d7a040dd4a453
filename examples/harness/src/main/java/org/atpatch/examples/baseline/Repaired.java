package org.atpatch.examples.baseline;

import ai.djl.Model;
import java.util.Map;
import java.util.Objects;

/**
 * A repaired model with how it was made. Closing it closes the model (never the victim).
 *
 * @param model the repaired copy, an ordinary DJL model with the victim's architecture
 * @param seconds wall time of the repair, model copy and feature capture included
 * @param settings the settings used and what the repair chose (units pruned, K, factors, ...), in
 *     the order they were recorded
 */
public record Repaired(Model model, double seconds, Map<String, String> settings) implements AutoCloseable {

    /** Checks the fields and copies the settings. */
    public Repaired {
        Objects.requireNonNull(model, "model");
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    }

    @Override
    public void close() {
        model.close();
    }
}
