package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's classifier head: its last linear layer, found by descending the last child of each
 * block. For every shipped family that layer's output is the model's output. Used to fine-tune the
 * head alone ({@link #freezeAllBut}) and by the neuron-level baselines, which read and edit its input
 * units.
 */
public final class ClassifierHead {

    private ClassifierHead() {}

    /**
     * @param model a model
     * @return its last linear layer
     * @throws IllegalArgumentException when the last block is not a linear layer
     */
    public static Linear of(Model model) {
        Block block = model.getBlock();
        while (!(block instanceof Linear) && !block.getChildren().isEmpty()) {
            block = block.getChildren().get(block.getChildren().size() - 1).getValue();
        }
        if (!(block instanceof Linear head)) {
            throw new IllegalArgumentException("the model's last block is " + block.getClass().getSimpleName()
                    + ", not a linear classifier head");
        }
        return head;
    }

    /**
     * Freezes every parameter of the model that is not the head's.
     *
     * @param model a model
     * @return the parameters frozen, to hand to {@link #unfreeze} afterwards
     */
    public static List<Parameter> freezeAllBut(Model model) {
        List<Parameter> head = new ArrayList<>();
        of(model).getParameters().forEach(p -> head.add(p.getValue()));
        List<Parameter> frozen = new ArrayList<>();
        for (var p : model.getBlock().getParameters()) {
            if (!head.contains(p.getValue())) {
                p.getValue().freeze(true);
                frozen.add(p.getValue());
            }
        }
        return frozen;
    }

    /** @param frozen parameters {@link #freezeAllBut} froze */
    public static void unfreeze(List<Parameter> frozen) {
        frozen.forEach(p -> p.freeze(false));
    }
}
