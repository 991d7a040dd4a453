package org.atpatch.djl.interception;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

class InterceptionTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    /** A user's own architecture: our blocks inside DJL's SequentialBlock, nested. */
    private static Block customArchitecture() {
        SequentialBlock inner = new SequentialBlock()
                .add(new PreNormEncoderLayer(8, 2, 2.0))
                .add(InterceptableSelfAttention.builder().setWidth(8).setHeads(4).build());
        return new SequentialBlock()
                .add(Linear.builder().setUnits(8).build())
                .add(inner)
                .add(new PreNormEncoderLayer(8, 1, 1.0));
    }

    @Test
    void wrappingFindsEveryBlockInForwardOrder() {
        try (Model model = Model.newInstance("custom")) {
            Block b = customArchitecture();
            model.setBlock(b);
            b.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 5, 3));
            try (NDManager m = model.getNDManager().newSubManager();
                    Interception.Scope ignored = Interception.open(new AttentionInterceptor() {})) {
                IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                        () -> b.forward(new ParameterStore(m, false), new NDList(m.ones(new Shape(2, 5, 3))), false));
                assertTrue(e.getMessage().contains("AttentionLayers.of"), e.getMessage());
            }
            AttentionLayers layers = AttentionLayers.of(b);
            assertEquals(3, layers.depth());
            assertEquals(List.of(2, 4, 1), List.of(layers.heads(0), layers.heads(1), layers.heads(2)));
            assertEquals(2, layers.tokenStatePoints().size());
            assertTrue(!layers.hasTokenStatePoints());

            List<String> seen = new ArrayList<>();
            AttentionInterceptor spy = new AttentionInterceptor() {
                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    seen.add(new InterceptionPoint(InterceptionPoint.Kind.ATTENTION_PROBS, layer) + " " + probs.getShape());
                    return probs;
                }
            };
            try (NDManager m = model.getNDManager().newSubManager();
                    Interception.Scope ignored = Interception.open(spy)) {
                b.forward(new ParameterStore(m, false), new NDList(m.ones(new Shape(2, 5, 3))), false);
            }
            assertEquals(List.of("layer.0.attn.probs (2, 2, 5, 5)", "layer.1.attn.probs (2, 4, 5, 5)",
                    "layer.2.attn.probs (2, 1, 5, 5)"), seen);
        }
    }

    @Test
    void modelWideInterceptorChangesOutputAndCanBeRemoved() {
        try (Model model = Fixtures.vitModel();
                NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = Fixtures.images(m, 2, 3);
            float[] before = forward(model, m, x);
            AttentionInterceptor uniform = new AttentionInterceptor() {
                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    return probs.zerosLike().add(1.0 / probs.getShape().get(3));
                }
            };
            assertEquals(2 * Fixtures.DEPTH, Interception.setModelWide(model.getBlock(), uniform));
            float[] during = forward(model, m, x);
            Interception.setModelWide(model.getBlock(), null);
            assertArrayEquals(before, forward(model, m, x), 0f);
            assertTrue(!java.util.Arrays.equals(before, during));
        }
    }

    @Test
    void gradientsFlowThroughAnInterceptor() {
        try (Model model = Fixtures.vitModel();
                NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = Fixtures.images(m, 2, 4);
            NDArray scale = m.create(2f);
            scale.setRequiresGradient(true);
            // Scales the token states entering layer 0 and sharpens every map: both ops are on the tape.
            AttentionInterceptor both = new AttentionInterceptor() {
                @Override
                public NDArray onTokenStates(int layer, NDArray states) {
                    return layer == 0 ? states.mul(scale) : states;
                }

                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    NDArray sq = probs.mul(probs);
                    return sq.div(sq.sum(new int[] {-1}, true));
                }
            };
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                    Interception.Scope a = Interception.open(both)) {
                NDArray out = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow();
                gc.backward(out.get(":, 0").sum());
                float g = scale.getGradient().getFloat();
                assertTrue(Float.isFinite(g) && g != 0f, "gradient through the interceptor: " + g);
            }
        }
    }

    private static float[] forward(Model model, NDManager m, NDArray x) {
        try (NDManager sub = m.newSubManager()) {
            NDArray c = x.duplicate();
            c.attach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(c), false).singletonOrThrow().toFloatArray();
        }
    }
}
