package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ParticleSwarmTest {

    @Test
    void findsTheMinimumOfAShiftedBowl() {
        ParticleSwarm.Result r = ParticleSwarm.builder().setBounds(-10, 10).optStart(1).optSeed(3).build()
                .minimise(x -> Math.pow(x[0] - 3, 2) + Math.pow(x[1] + 2, 2) + Math.pow(x[2] - 7, 2), 3);
        assertEquals(3, r.point()[0], 0.05);
        assertEquals(-2, r.point()[1], 0.05);
        assertEquals(7, r.point()[2], 0.05);
        assertEquals(20 * 101, r.evaluations());
    }

    @Test
    void staysInsideTheBoxWhenTheMinimumLiesOutside() {
        ParticleSwarm.Result r = ParticleSwarm.builder().setBounds(-1, 1).optStart(0).build()
                .minimise(x -> Math.abs(x[0] - 5), 1);
        assertEquals(1, r.point()[0], 1e-9);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ParticleSwarm.builder().build());
        assertThrows(IllegalArgumentException.class, () -> ParticleSwarm.builder().setBounds(1, 1).build());
        assertThrows(IllegalArgumentException.class, () -> ParticleSwarm.builder().setBounds(0, 1).optParticles(0).build());
        assertThrows(IllegalArgumentException.class, () -> ParticleSwarm.builder().setBounds(0, 1).optStart(2).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParticleSwarm.builder().setBounds(0, 1).build().minimise(x -> 0, 0));
        assertTrue(e.getMessage().contains("dimension"));
    }
}
