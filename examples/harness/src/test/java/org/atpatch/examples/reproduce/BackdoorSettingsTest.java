package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.TauSelection;
import org.atpatch.djl.testing.CropFlipAugmentation;
import org.junit.jupiter.api.Test;

class BackdoorSettingsTest {

    private static BackdoorExperiment.Settings settings(int regionSize, int regions, double minShare, double ratio) {
        return new BackdoorExperiment.Settings(42, DetectorConfig.builder().optEpochs(10).optSeed(42).build(), 200, 100, 64,
                List.of(), Path.of("inversion"), 20, regionSize,
                regions, 3, minShare, ratio, null, true, TauSelection.maxF1(), List.of());
    }

    @Test
    void badRegionScanAndLabellingSettingsAreNamed() {
        assertEquals(0.125, settings(4, 8, 0.125, 2).regionMinShare());
        assertEquals(1.0, settings(4, 8, 1, 0).regionMinShare());
        for (double share : new double[] {0, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(4, 8, share, 0));
            assertTrue(e.getMessage().contains("minimum firing share") && e.getMessage().contains(String.valueOf(share)),
                    e.getMessage());
        }
        IllegalArgumentException ratio = assertThrows(IllegalArgumentException.class,
                () -> settings(4, 8, 0.25, Double.POSITIVE_INFINITY));
        assertTrue(ratio.getMessage().contains("over-attention ratio"), ratio.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> settings(0, 8, 0.25, 0));
        assertTrue(size.getMessage().contains("region size"), size.getMessage());
    }

    /** Runs the harness's command line and expects a usage error (exit 2) whose message contains {@code part}. */
    private static void assertRefused(String part, String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(new ReproduceBackdoor());
        cli.setErr(new java.io.PrintWriter(err));
        assertEquals(2, cli.execute(args), err.toString());
        assertTrue(err.toString().contains(part), err.toString());
    }

    @Test
    void hiddenAlphaOutsideZeroToOneIsRefusedBeforeAnyWork() {
        for (String alpha : new String[] {"0", "1.5", "NaN"}) {
            assertRefused("--hidden-alpha must lie in (0, 1], got " + Double.parseDouble(alpha), "--configs", "mnist-hidden",
                    "--hidden-alpha", alpha);
        }
    }

    @Test
    void poisonRateOutsideZeroToOneIsRefusedBeforeAnyWork() {
        for (String rate : new String[] {"0", "1", "-0.1", "NaN"}) {
            assertRefused("--poison-rate must lie in (0, 1), got " + Double.parseDouble(rate), "--configs", "mnist-badnets",
                    "--poison-rate", rate);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageVictim.AttackSettings(0.1, 1.5));
        assertTrue(e.getMessage().contains("Hidden's alpha must lie in (0, 1], got 1.5"), e.getMessage());
        assertEquals(new ImageVictim.AttackSettings(0.1, 0.2), ImageVictim.AttackSettings.DEFAULT);
    }

    @Test
    void trojanEpochsMustBePositiveAndLeaveTheCleanModelsKeyAlone() {
        for (String epochs : new String[] {"0", "-1"}) {
            assertRefused("--trojan-epochs must be positive, got " + epochs, "--configs", "mnist-trojan",
                    "--trojan-epochs", epochs);
        }
        ImageVictim.Settings plain = ImageVictim.Settings.of(30, 42);
        assertEquals(ImageVictim.Settings.FINE_TUNE_EPOCHS, plain.fineTuneEpochs());
        ImageVictim.Settings longer = plain.withFineTuneEpochs(6);
        assertEquals(6, longer.fineTuneEpochs());
        assertEquals(plain.key(), longer.key(), "the clean model, Trojan's starting point, is shared");
        CropFlipAugmentation crops = CropFlipAugmentation.of(4, true);
        assertEquals(crops, plain.withAugmentation(crops).withFineTuneEpochs(6).augmentation());
    }

    @Test
    void tauFprOutsideZeroToOneIsRefusedBeforeAnyWork() {
        for (String fpr : new String[] {"1", "-0.1", "NaN"}) {
            assertRefused("--tau-fpr: target false positive rate must lie in [0, 1), got " + Double.parseDouble(fpr),
                    "--configs", "mnist-badnets", "--tau-fpr", fpr);
        }
    }

    @Test
    void tauCleanInputsOutsideZeroToOneOrBesideTauFprIsRefusedBeforeAnyWork() {
        for (String share : new String[] {"1", "-0.1", "NaN"}) {
            assertRefused("--tau-clean-inputs: target share of clean inputs flagged must lie in [0, 1), got "
                    + Double.parseDouble(share), "--configs", "mnist-badnets", "--tau-clean-inputs", share);
        }
        String twice = "--tau-fpr, --tau-clean-inputs and --tau-max-f1 each choose tau: give one of them";
        assertRefused(twice, "--configs", "mnist-badnets", "--tau-fpr", "0.05", "--tau-clean-inputs", "0.05");
        assertRefused(twice, "--configs", "mnist-badnets", "--tau-max-f1", "--tau-clean-inputs", "0.05");
    }

    @Test
    void augmentationEntersTheVictimKeyOnlyWhenUsed() {
        ImageVictim.Settings plain = ImageVictim.Settings.of(30, 42);
        assertEquals("epochs=30|batch=128|lr=0.002|seed=42|trainer=VictimTrainer defaults", plain.key(),
                "victims cached without augmentation keep their keys");
        assertEquals(plain.key() + "|augment=crop4-flip", plain.withAugmentation(CropFlipAugmentation.of(4, true)).key());
        assertEquals(plain.key(), plain.withAugmentation(null).key());
    }
}
