package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.atpatch.examples.reproduce.BackdoorExperiment.Outcome;
import org.junit.jupiter.api.Test;

class AttackBarTest {

    private static Outcome original(double acc, double asr) {
        return new Outcome("original", acc, asr, 0, 0);
    }

    private static ImageVictim.CleanModel clean(double acc) {
        return new ImageVictim.CleanModel(acc, true, 0);
    }

    @Test
    void anAttackMeetsTheBarWithHighAsrAndAtMostTwoPointsLost() {
        assertEquals("met", BackdoorReport.attackBar(original(0.9585, 1.0), clean(0.9600)));
        assertEquals("met", BackdoorReport.attackBar(original(0.6250, 0.9734), clean(0.6175)), "a gain is no loss");
        // Exactly two points below (counts over 2000 images): still met, whatever the float rounding.
        assertEquals("met", BackdoorReport.attackBar(original(0.5975, 0.95), clean(0.6175)));
    }

    @Test
    void aMissNamesWhatFellShort() {
        assertEquals("missed (ASR 94.90 % < 95 %)", BackdoorReport.attackBar(original(0.96, 0.949), clean(0.96)));
        assertEquals("missed (accuracy 2.05 points below the clean model)",
                BackdoorReport.attackBar(original(0.5970, 0.99), clean(0.6175)));
        assertEquals("missed (ASR 6.20 % < 95 %; accuracy 3.00 points below the clean model)",
                BackdoorReport.attackBar(original(0.58, 0.062), clean(0.61)));
        assertEquals("missed (ASR NaN % < 95 %)", BackdoorReport.attackBar(original(0.6, Double.NaN), clean(0.6)));
    }

    @Test
    void withoutACleanModelTheBarIsNotJudged() {
        assertEquals("n/a", BackdoorReport.attackBar(original(0.9, 1.0), null));
    }
}
