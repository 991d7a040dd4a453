package org.atpatch.djl.model.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The layout tables name every parameter of each kind of layer once, as version 1 named them. */
class ParameterLayoutTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static List<String> names(Iterable<Pair<String, Parameter>> params) {
        List<String> out = new ArrayList<>();
        params.forEach(p -> out.add(p.getKey()));
        return out;
    }

    private static final List<String> MLP_V2 =
            List.of("03norm2_gamma", "03norm2_beta", "04fc1_weight", "04fc1_bias", "05fc2_weight", "05fc2_bias");

    @Test
    void swinLayerNamesItsParametersAsVersionOneDid() {
        try (NDManager m = NDManager.newBaseManager()) {
            PreNormEncoderLayer layer = PreNormEncoderLayer.swin(new ShiftedWindows(4, 2, 1), 8, 2, 2.0);
            layer.initialize(m, DataType.FLOAT32, new Shape(1, 16, 8));
            assertEquals(2, layer.layout().version());
            assertEquals(List.of("relative_position_bias", "01norm1_gamma", "01norm1_beta", "02attn_01qkv_weight",
                    "02attn_01qkv_bias", "02attn_02out_weight", "02attn_02out_bias", "03mlp_01norm_gamma",
                    "03mlp_01norm_beta", "03mlp_02fc1_weight", "03mlp_02fc1_bias", "03mlp_03fc2_weight",
                    "03mlp_03fc2_bias"), names(layer.parametersAsVersion(1)));
            List<String> current = new ArrayList<>(List.of("01norm1_gamma", "01norm1_beta",
                    "02attn_relative_position_bias", "02attn_01attention_01qkv_weight", "02attn_01attention_01qkv_bias",
                    "02attn_01attention_02out_weight", "02attn_01attention_02out_bias"));
            current.addAll(MLP_V2);
            assertEquals(current, names(layer.getParameters()));
            assertEquals(current, names(layer.parametersAsVersion(2)));
        }
    }

    @Test
    void tokensToTokenLayerNamesItsParametersAsVersionOneDid() {
        try (NDManager m = NDManager.newBaseManager()) {
            PreNormEncoderLayer layer = PreNormEncoderLayer.tokensToToken(8, 2.0);
            layer.initialize(m, DataType.FLOAT32, new Shape(1, 16, 8));
            assertEquals(List.of("01norm1_gamma", "01norm1_beta", "02qkv_weight", "02qkv_bias", "03proj_weight",
                    "03proj_bias", "04mlp_01norm_gamma", "04mlp_01norm_beta", "04mlp_02fc1_weight", "04mlp_02fc1_bias",
                    "04mlp_03fc2_weight", "04mlp_03fc2_bias"), names(layer.parametersAsVersion(1)));
            List<String> current = new ArrayList<>(List.of("01norm1_gamma", "01norm1_beta", "02attn_01qkv_weight",
                    "02attn_01qkv_bias", "02attn_02proj_weight", "02attn_02proj_bias"));
            current.addAll(MLP_V2);
            assertEquals(current, names(layer.getParameters()));
        }
    }

    @Test
    void encoderLayerIsStillItsFirstLayout() {
        try (NDManager m = NDManager.newBaseManager()) {
            PreNormEncoderLayer layer = new PreNormEncoderLayer(8, 2, 2.0);
            layer.initialize(m, DataType.FLOAT32, new Shape(1, 5, 8));
            assertEquals(1, layer.layout().version());
            assertEquals(List.of("02norm1_gamma", "02norm1_beta", "03attn_01qkv_weight", "03attn_01qkv_bias",
                    "03attn_02out_weight", "03attn_02out_bias", "04norm2_gamma", "04norm2_beta", "05fc1_weight",
                    "05fc1_bias", "06fc2_weight", "06fc2_bias"), names(layer.parametersAsVersion(1)));
            assertThrows(IllegalArgumentException.class, () -> layer.parametersAsVersion(2));
        }
    }

    @Test
    void aStreamOfAVersionTheKindNeverHadIsRefused() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            PreNormEncoderLayer layer = PreNormEncoderLayer.swin(new ShiftedWindows(4, 2, 0), 8, 2, 2.0);
            layer.initialize(m, DataType.FLOAT32, new Shape(1, 16, 8));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            layer.saveParameters(new DataOutputStream(bytes));
            byte[] saved = bytes.toByteArray();
            assertEquals(2, saved[0], "the layer's block version is its layout version");
            saved[0] = 7;
            PreNormEncoderLayer fresh = PreNormEncoderLayer.swin(new ShiftedWindows(4, 2, 0), 8, 2, 2.0);
            MalformedModelException e = assertThrows(MalformedModelException.class,
                    () -> fresh.loadParameters(m, new DataInputStream(new ByteArrayInputStream(saved))));
            assertTrue(e.getMessage().contains("version 7") && e.getMessage().contains("SWIN"), e.getMessage());
        }
    }
}
