package org.atpatch.examples.scenario;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.atpatch.examples.data.PatchTrigger;
import org.junit.jupiter.api.Test;

/** The scenario's settings are checked before a victim is trained. */
class BackdoorScenarioTest {

    @Test
    void aNegativeRegionCountIsRefusedBeforeTraining() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BackdoorScenario("t", null, null, null, new PatchTrigger(24, 24, 4, 1f, true, 6), 1, 1,
                        Path.of("unused"), Path.of("unused"), -1));
        assertTrue(e.getMessage().contains("regions must be >= 0"), e.getMessage());
    }
}
