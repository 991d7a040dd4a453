package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.CleanLabelHiddenTrigger;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.data.PatchTrigger;
import org.junit.jupiter.api.Test;

class BackdoorConfigTest {

    private static List<String> names(List<BackdoorConfig> c) {
        return c.stream().map(BackdoorConfig::name).toList();
    }

    @Test
    void nineConfigurationsInTableOrder() {
        assertEquals(9, BackdoorConfig.ALL.size());
        assertEquals(List.of("mnist-badnets", "mnist-trojan", "mnist-hidden"), names(BackdoorConfig.ALL.subList(0, 3)));
        assertEquals(BackdoorConfig.ALL, BackdoorConfig.select(List.of("all")));
    }

    @Test
    void selectsByNameDatasetOrAttackInTableOrderOnce() {
        assertEquals(List.of("mnist-hidden", "cifar10-badnets"), names(BackdoorConfig.select(List.of("cifar10-badnets",
                "mnist-hidden"))));
        assertEquals(List.of("mnist-trojan", "fashion-mnist-trojan", "cifar10-trojan"),
                names(BackdoorConfig.select(List.of("trojan"))));
        assertEquals(List.of("cifar10-badnets", "cifar10-trojan", "cifar10-hidden"),
                names(BackdoorConfig.select(List.of("cifar10", "cifar10-trojan"))));
    }

    @Test
    void patchShapedHiddenIsAVariantChosenOnlyByName() {
        assertEquals(List.of("mnist-hidden-patch", "fashion-mnist-hidden-patch", "cifar10-hidden-patch"),
                names(BackdoorConfig.select(List.of("hidden-patch"))));
        assertEquals(List.of("mnist-hidden", "mnist-hidden-patch"),
                names(BackdoorConfig.select(List.of("mnist-hidden-patch", "mnist-hidden"))));
        assertEquals(List.of("mnist-badnets", "mnist-trojan", "mnist-hidden"), names(BackdoorConfig.select(List.of("mnist"))));
        assertEquals(List.of("mnist-hidden", "fashion-mnist-hidden", "cifar10-hidden"),
                names(BackdoorConfig.select(List.of("hidden"))));
        assertEquals(9, BackdoorConfig.select(List.of("all")).size());
        HiddenTrigger t = (HiddenTrigger) BackdoorConfig.select(List.of("mnist-hidden-patch")).get(0)
                .fixedAttack(new Shape(1, 28, 28), 42);
        assertArrayEquals(new int[] {0, 0, BackdoorConfig.PATCH}, t.region().orElseThrow());
        assertEquals(HiddenTrigger.DEFAULT_ALPHA, t.alpha());
        HiddenTrigger stronger = (HiddenTrigger) BackdoorConfig.select(List.of("mnist-hidden")).get(0)
                .fixedAttack(new Shape(1, 28, 28), 42, 0.3);
        assertEquals(0.3, stronger.alpha());
        assertTrue(stronger.fingerprint().contains("alpha=0.3"), "α is part of the victim's cache key");
        assertEquals(Attack.drawTarget(42, 10), t.target());
        for (BackdoorConfig c : BackdoorConfig.VARIANTS) {
            assertNull(ImageVictim.unsupportedReason(c), c.name());
        }
    }

    @Test
    void cleanLabelHiddenIsAVariantWithARandomPositionPatch() {
        List<BackdoorConfig> c = BackdoorConfig.select(List.of("hidden-clean-label"));
        assertEquals(List.of("mnist-hidden-clean-label", "fashion-mnist-hidden-clean-label", "cifar10-hidden-clean-label"),
                names(c));
        assertTrue(c.stream().allMatch(BackdoorConfig::isCleanLabel));
        assertTrue(BackdoorConfig.select(List.of("mnist")).stream().noneMatch(BackdoorConfig::isCleanLabel));
        CleanLabelHiddenTrigger t = (CleanLabelHiddenTrigger) c.get(0).fixedAttack(new Shape(1, 28, 28), 42, 0.4);
        assertEquals(BackdoorConfig.PATCH, t.side());
        assertEquals(0.4, t.alpha());
        assertEquals(Attack.drawTarget(42, 10), t.target());
        assertTrue(t.fingerprint().contains("alpha=0.4"), "α is part of the victim's cache key");
    }

    @Test
    void unknownNamesAreRefusedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackdoorConfig.select(List.of("mnist-badnet")));
        assertTrue(e.getMessage().contains("mnist-badnet") && e.getMessage().contains("cifar10-hidden")
                && e.getMessage().contains("cifar10-hidden-patch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BackdoorConfig.select(List.of()));
    }

    @Test
    void attacksUseTheSeededTarget() {
        Shape shape = new Shape(1, 28, 28);
        int target = Attack.drawTarget(42, 10);
        BackdoorConfig badnets = BackdoorConfig.select(List.of("mnist-badnets")).get(0);
        PatchTrigger p = (PatchTrigger) badnets.fixedAttack(shape, 42);
        assertEquals(target, p.target());
        assertEquals(24, p.row());
        assertEquals(24, p.col());
        assertTrue(BackdoorConfig.select(List.of("mnist-hidden")).get(0).fixedAttack(shape, 42) instanceof HiddenTrigger);
        BackdoorConfig trojan = BackdoorConfig.select(List.of("mnist-trojan")).get(0);
        assertThrows(IllegalStateException.class, () -> trojan.fixedAttack(shape, 42));
        assertEquals(target, trojan.trojanOptions(42).target());
    }

    @Test
    void everyConfigurationIsSupported() {
        for (BackdoorConfig c : BackdoorConfig.ALL) {
            assertNull(ImageVictim.unsupportedReason(c), c.name());
        }
        assertNull(ImageVictim.unsupportedReason(BackdoorConfig.select(List.of("fashion-mnist-trojan")).get(0)));
        assertNull(ImageVictim.unsupportedReason(BackdoorConfig.select(List.of("mnist-trojan")).get(0)));
        assertNull(ImageVictim.unsupportedReason(BackdoorConfig.select(List.of("fashion-mnist-badnets")).get(0)));
    }

    @Test
    void debuggingSetsLabelTheSwinVictimsFinestPatchGrid() {
        org.atpatch.djl.interception.InterceptableTransformer swin = ImageFamily.SWIN.build();
        org.atpatch.core.ImageTokenLayout grid = BackdoorExperiment.sampleLayout(swin);
        assertEquals(swin.sampleTokens(), grid.size());
        assertEquals(new org.atpatch.core.ImagePatchLayout(28, 28, 2, false), grid);
        org.atpatch.djl.interception.InterceptableTransformer vit = ImageFamily.VIT.build();
        assertEquals(vit.tokenLayout(), BackdoorExperiment.sampleLayout(vit));
    }
}
