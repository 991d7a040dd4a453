package org.atpatch.djl.debugset;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.HashMap;
import java.util.Map;

/**
 * A parameter store that hands the model its parameters cut from the autograd graph, so a backward
 * pass reaches the trigger's mask and pattern but never the victim's weights: the victim stays frozen
 * without touching its parameters' flags (other threads may be using the model). The detached views
 * share storage with the parameters (no copy) and live in the store's manager, a per-step scope the
 * caller closes. Public so other gradient searches on a frozen model (the examples' Trojan trigger
 * optimisation) reuse it.
 */
public final class FrozenParameterStore extends ParameterStore {

    private final NDManager scope;
    private final Map<String, NDArray> detached = new HashMap<>();

    /** @param scope the manager the detached views are attached to; closing it frees them */
    public FrozenParameterStore(NDManager scope) {
        super(scope, false);
        this.scope = scope;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        return detached.computeIfAbsent(parameter.getId(), id -> {
            NDArray view = parameter.getArray().stopGradient(); // lands in the model's manager...
            view.attach(scope); // ...so move it into the step's scope at once
            NDArray on = view.toDevice(device, false);
            if (on != view) {
                on.attach(scope);
            }
            return on;
        });
    }
}
