package org.atpatch.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.atpatch.djl.ModelFingerprint;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.model.LegacyFixtures.Victim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Victims and a patch bundle saved at parameter layout version 1 ({@code legacy-v1/}, written by
 * {@link LegacyFixtures}) load into the current families: bitwise the recorded logits, the recorded
 * fingerprint, the same parameter names under the fingerprint's naming, and the bundle's recorded
 * patched logits.
 */
class LegacyLoadTest {

    @TempDir
    Path tmp;

    private static Path legacyDir() {
        try {
            return Path.of(LegacyLoadTest.class.getResource("/legacy-v1/fingerprints.txt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static NDList io(NDManager m, String file) throws IOException {
        return NDList.decode(m, Files.readAllBytes(legacyDir().resolve(file)));
    }

    /** Loads a saved family into a freshly built block; {@code initialiseFirst} as a cache does. */
    private static Model load(Path dir, Victim v, boolean initialiseFirst) throws IOException, MalformedModelException {
        Model model = Model.newInstance(v.name());
        TransformerFamily block = v.build().get();
        model.setBlock(block);
        if (initialiseFirst) {
            Engine.getInstance().setRandomSeed(9);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1).addAll(v.inputShape().slice(1)));
        }
        model.load(dir, v.name());
        return model;
    }

    @Test
    void everyFamilyLoadsWithBitwiseTheRecordedLogits() throws Exception {
        for (Victim v : LegacyFixtures.VICTIMS) {
            for (boolean initialiseFirst : new boolean[] {false, true}) {
                try (Model model = load(legacyDir(), v, initialiseFirst);
                        NDManager m = model.getNDManager().newSubManager()) {
                    NDList io = io(m, v.name() + ".io");
                    assertArrayEquals(LegacyFixtures.input(m, v).toFloatArray(), io.get(0).toFloatArray(), 0f,
                            v.name() + ": the fixed input");
                    assertArrayEquals(io.get(1).toFloatArray(), FamilyChecks.unpatched(model, io.get(0)), 0f,
                            v.name() + (initialiseFirst ? ", initialised first" : ", loaded uninitialised"));
                }
            }
        }
    }

    @Test
    void aSeededFreshModelIsTheOneLayoutOneMade() throws Exception {
        for (int i = 0; i < LegacyFixtures.VICTIMS.size(); i++) {
            Victim v = LegacyFixtures.VICTIMS.get(i);
            try (Model model = LegacyFixtures.newModel(v, 100 + i); NDManager m = model.getNDManager().newSubManager()) {
                NDList io = io(m, v.name() + ".io");
                assertArrayEquals(io.get(1).toFloatArray(), FamilyChecks.unpatched(model, io.get(0)), 0f, v.name());
            }
        }
    }

    @Test
    void fingerprintsAndFingerprintNamesAreTheRecordedOnes() throws Exception {
        Map<String, String> recorded = Files.readAllLines(legacyDir().resolve("fingerprints.txt"), StandardCharsets.UTF_8)
                .stream().map(l -> l.split("=", 2)).collect(Collectors.toMap(p -> p[0], p -> p[1]));
        for (Victim v : LegacyFixtures.VICTIMS) {
            try (Model model = load(legacyDir(), v, false)) {
                assertEquals(recorded.get(v.name()), ModelFingerprint.of(model.getBlock()), v.name());
                assertEquals(Files.readString(legacyDir().resolve(v.name() + ".parameters"), StandardCharsets.UTF_8),
                        LegacyFixtures.parameterLines(model.getBlock()), v.name());
            }
        }
    }

    @Test
    void legacyBundleLoadsOntoTheLoadedVitWithBitwiseTheRecordedPatchedLogits() throws Exception {
        Victim vit = LegacyFixtures.VICTIMS.get(0);
        try (Model model = load(legacyDir(), vit, false); NDManager m = model.getNDManager().newSubManager();
                PatchedModel patched = PatchedModel.load(legacyDir().resolve("vit.atpatch"), model)) {
            NDList io = io(m, "vit-patched.io");
            assertArrayEquals(LegacyFixtures.patchedInput(m).toFloatArray(), io.get(0).toFloatArray(), 0f);
            PatchResult r = patched.predictWithReport(io.get(0));
            assertArrayEquals(io.get(1).toFloatArray(), r.logits().toFloatArray(), 0f);
            float[] flags = io.get(2).toFloatArray();
            for (int i = 0; i < flags.length; i++) {
                assertEquals(flags[i] == 1f, r.reports().get(i).patched(), "sample " + i);
            }
            assertTrue(r.reports().stream().anyMatch(rep -> rep.patched()), "the recorded forward patches");
        }
    }

    @Test
    void aLoadedLegacyVictimSavedAgainLoadsWithTheSameLogits() throws Exception {
        for (Victim v : LegacyFixtures.VICTIMS) {
            // Initialised first: DJL's Model.save needs the input names that only initialize sets.
            try (Model model = load(legacyDir(), v, true)) {
                model.save(tmp, v.name());
            }
            try (Model again = load(tmp, v, true); NDManager m = again.getNDManager().newSubManager()) {
                NDList io = io(m, v.name() + ".io");
                assertArrayEquals(io.get(1).toFloatArray(), FamilyChecks.unpatched(again, io.get(0)), 0f, v.name());
            }
        }
    }

    @Test
    void theFixturesStaySmall() throws IOException {
        long total = 0;
        try (var files = Files.list(legacyDir())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                total += Files.size(p);
            }
        }
        assertTrue(total < 300_000, "legacy-v1 holds " + total + " bytes");
    }
}
