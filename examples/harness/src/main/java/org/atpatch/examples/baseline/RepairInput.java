package org.atpatch.examples.baseline;

import ai.djl.Model;
import ai.djl.nn.Block;
import java.util.Objects;
import java.util.function.Supplier;
import org.atpatch.djl.LabelledData;

/**
 * What a repair is given.
 *
 * @param victim the initialised victim; read, never changed
 * @param architecture builds a fresh, uninitialised block of the victim's architecture (the repair's
 *     copy is this block with the victim's parameters)
 * @param clean labelled clean inputs the method may use (validation, fine-tuning, seeds); at least one
 * @param defect what the repair is told about the defect
 */
public record RepairInput(Model victim, Supplier<? extends Block> architecture, LabelledData clean, Defect defect) {

    /** Checks the fields. */
    public RepairInput {
        Objects.requireNonNull(victim, "victim");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(clean, "clean");
        Objects.requireNonNull(defect, "defect");
        if (clean.size() == 0) {
            throw new IllegalArgumentException("a repair needs clean data, got an empty clean set");
        }
    }
}
