package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinesTest {

    @Test
    void namesSelectTheRepairsInOrder() {
        assertEquals(List.of("IDNN", "Fine-Pruning", "CARE"), Baselines.select(List.of("idnn", "fine-pruning", "care"), false, 1)
                .stream().map(Repair::name).toList());
        assertEquals(List.of("ADF"), Baselines.select(List.of("adf"), true, 1).stream().map(Repair::name).toList());
        assertTrue(Baselines.select(List.of("none"), false, 1).isEmpty());
    }

    @Test
    void unknownNamesAndAdfOnABackdoorAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Baselines.select(List.of("neural-cleanse"), false, 1));
        assertTrue(e.getMessage().contains("neural-cleanse") && e.getMessage().contains("fine-pruning"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Baselines.select(List.of("adf"), false, 1));
        assertTrue(e.getMessage().contains("unfairness only"), e.getMessage());
    }
}
