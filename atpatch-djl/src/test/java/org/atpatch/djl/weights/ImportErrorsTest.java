package org.atpatch.djl.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wrong or partial weight file, a configuration that disagrees, an unknown dtype: errors naming the tensor. */
class ImportErrorsTest {

    @TempDir
    Path dir;

    /** Writes the timm fixture, edited, as safetensors with DJL's own writer. */
    private Path timmEdited(Consumer<NDList> edit) throws Exception {
        Path out = dir.resolve("edited.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = TensorFile.read(m, ImportFixtures.file("timm-vit.safetensors"));
            NDList list = new NDList(tensors.values());
            edit.accept(list);
            try (OutputStream os = Files.newOutputStream(out)) {
                list.encode(os, NDList.Encoding.SAFETENSORS);
            }
        }
        return out;
    }

    private static MalformedModelException importFails(Path weights, Path config) {
        WeightImporter importer = WeightImporter.builder().setProfile(ImportProfile.timmVit()).setWeights(weights)
                .optConfig(config).build();
        return assertThrows(MalformedModelException.class, () -> importer.importModel().close());
    }

    private Path timmConfig(String from, String to) throws IOException {
        Path out = dir.resolve("config.json");
        String text = Files.readString(ImportFixtures.file("timm-vit.config.json"));
        assertTrue(text.contains(from), from);
        Files.writeString(out, text.replace(from, to));
        return out;
    }

    @Test
    void theUneditedFileImports() throws Exception {
        try (Model model = WeightImporter.builder().setProfile(ImportProfile.timmVit()).setWeights(timmEdited(l -> { }))
                .optConfig(ImportFixtures.file("timm-vit.config.json")).build().importModel()) {
            assertEquals(ImportFixtures.DEPTH, ((org.atpatch.djl.model.VisionTransformer) model.getBlock()).depth());
        }
    }

    @Test
    void aPartialFileNamesEachMissingTensor() throws Exception {
        Path weights = timmEdited(l -> {
            l.remove("blocks.1.attn.qkv.weight");
            l.remove("head.bias");
        });
        String msg = importFails(weights, ImportFixtures.file("timm-vit.config.json")).getMessage();
        assertTrue(msg.contains("missing: 'blocks.1.attn.qkv.weight'"), msg);
        assertTrue(msg.contains("missing: 'head.bias'"), msg);
    }

    @Test
    void anExtraTensorIsReportedUnmapped() throws Exception {
        Path weights = timmEdited(l -> {
            NDArray extra = l.get(0).getManager().zeros(new ai.djl.ndarray.types.Shape(3));
            extra.setName("blocks.0.ls1.gamma");
            l.add(extra);
        });
        String msg = importFails(weights, ImportFixtures.file("timm-vit.config.json")).getMessage();
        assertTrue(msg.contains("unmapped: 'blocks.0.ls1.gamma'"), msg);
    }

    @Test
    void aConfigurationThatDisagreesNamesTheTensors() throws Exception {
        String wider = importFails(ImportFixtures.file("timm-vit.safetensors"), timmConfig("\"embed_dim\": 32", "\"embed_dim\": 48"))
                .getMessage();
        assertTrue(wider.contains("mis-shaped: 'cls_token' (1, 1, 32) for cls (1, 1, 48)"), wider);
        assertTrue(wider.contains("'blocks.0.attn.qkv.weight' (96, 32)"), wider);
        String shallower = importFails(ImportFixtures.file("timm-vit.safetensors"), timmConfig("\"depth\": 2", "\"depth\": 1"))
                .getMessage();
        assertTrue(shallower.contains("unmapped: 'blocks.1.norm1.weight'"), shallower);
        String fewerClasses = importFails(ImportFixtures.file("timm-vit.safetensors"), timmConfig("\"num_classes\": 5", "\"num_classes\": 4"))
                .getMessage();
        assertTrue(fewerClasses.contains("mis-shaped: 'head.weight' (5, 32) for head.weight (4, 32)"), fewerClasses);
    }

    @Test
    void aSourceActivationOtherThanExactGeluIsRefused() throws Exception {
        Path hf = dir.resolve("hf.json");
        Files.writeString(hf, Files.readString(ImportFixtures.file("hf-vit.config.json"))
                .replace("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu_pytorch_tanh\""));
        WeightImporter importer = WeightImporter.builder().setProfile(ImportProfile.huggingFaceVit())
                .setWeights(ImportFixtures.file("hf-vit.safetensors")).optConfig(hf).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, importer::importModel);
        assertTrue(e.getMessage().contains("gelu_pytorch_tanh"), e.getMessage());
    }

    @Test
    void timmWithoutAHeadCountIsRefused() throws Exception {
        Path config = timmConfig("\"num_heads\": 4,", "");
        WeightImporter importer = WeightImporter.builder().setProfile(ImportProfile.timmVit())
                .setWeights(ImportFixtures.file("timm-vit.safetensors")).optConfig(config).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, importer::importModel);
        assertTrue(e.getMessage().contains("no heads"), e.getMessage());
    }

    /** A safetensors file by hand: header JSON, then the data bytes. */
    private Path safetensors(String header, byte[] data) throws IOException {
        byte[] text = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(text.length).array());
        out.write(text);
        out.write(data);
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, out.toByteArray());
        return file;
    }

    @Test
    void anUnknownDtypeIsNamedWithItsTensor() throws Exception {
        Path file = safetensors("{\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"steps\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]}}", new byte[12]);
        try (NDManager m = NDManager.newBaseManager()) {
            MalformedModelException e = assertThrows(MalformedModelException.class, () -> TensorFile.read(m, file));
            assertTrue(e.getMessage().contains("tensor 'steps' has dtype I64"), e.getMessage());
        }
    }

    @Test
    void aTruncatedFileIsNamedWithItsTensor() throws Exception {
        Path file = safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", new byte[20]);
        try (NDManager m = NDManager.newBaseManager()) {
            MalformedModelException e = assertThrows(MalformedModelException.class, () -> TensorFile.read(m, file));
            assertTrue(e.getMessage().contains("tensor 'w' claims bytes [0, 24)"), e.getMessage());
        }
    }

    @Test
    void notAWeightFileAndNoFileAreClearErrors() throws Exception {
        Path junk = dir.resolve("junk.safetensors");
        Files.writeString(junk, "definitely not weights");
        try (NDManager m = NDManager.newBaseManager()) {
            MalformedModelException e = assertThrows(MalformedModelException.class, () -> TensorFile.read(m, junk));
            assertTrue(e.getMessage().contains("junk.safetensors"), e.getMessage());
            assertThrows(NoSuchFileException.class, () -> TensorFile.read(m, dir.resolve("absent.npz")));
        }
    }

    @Test
    void halfAndBfloat16BecomeFloat32() throws Exception {
        // 1.0, -2.5, 0.5 in IEEE half (0x3C00, 0xC100, 0x3800) and bfloat16 (0x3F80, 0xC020, 0x3F00), little-endian.
        byte[] data = {0x00, 0x3C, 0x00, (byte) 0xC1, 0x00, 0x38, (byte) 0x80, 0x3F, 0x20, (byte) 0xC0, 0x00, 0x3F};
        Path file = safetensors("{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[6,12]}}", data);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = TensorFile.read(m, file);
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, t.get("h").getDataType());
            assertArrayEquals(new float[] {1f, -2.5f, 0.5f}, t.get("h").toFloatArray(), 0f);
            assertArrayEquals(new float[] {1f, -2.5f, 0.5f}, t.get("b").toFloatArray(), 0f);
        }
    }
}
