package org.atpatch.detector;

import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.DetectionMetrics;

/**
 * Measures the two ways of telling the detector which layer a map came from: one network with a
 * learned layer embedding, or one network per layer, each with and without a position embedding.
 * Not a unit test (minutes on two cores); run by hand with the test classpath:
 *
 * <pre>java -cp ... org.atpatch.detector.LayerConditioningExperiment [pairs] [epochs] [batch]</pre>
 *
 * {@link AttentionDetector}'s Javadoc states the choice it supports.
 */
public final class LayerConditioningExperiment {

    private LayerConditioningExperiment() {}

    /**
     * @param args optional: training pairs (default 240), epochs (default 25), batch size (default 32)
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 240;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        SyntheticAttention gen = new SyntheticAttention(17, 4, SyntheticAttention.THREE_LAYERS);
        DetectorTrainingData train = gen.pairs(pairs, 1);
        DetectorTrainingData test = gen.pairs(200, 2);
        int layers = train.layers();

        DetectorConfig.Builder base = DetectorConfig.builder()
                .optLearningRate(3e-3)
                .optEpochs(epochs)
                .optBatchSize(batch)
                .optPatience(0)
                .optCosineDecay(true)
                .optProgressBar(false);

        boolean[][] truth = test.labelMatrix();
        for (boolean position : new boolean[] {true, false}) {
            String suffix = position ? " + position" : "";
            long t0 = System.nanoTime();
            float[][] embProbs;
            try (AttentionDetector emb = new DetectorTrainer(
                    base.optLayerEmbedding(true).optPositionEmbedding(position).build()).train(train)) {
                embProbs = emb.probabilities(test);
            }
            report("layer embedding" + suffix, embProbs, truth, test, (System.nanoTime() - t0) / 1e9);

            t0 = System.nanoTime();
            float[][] perProbs = new float[test.size()][];
            for (int l = 0; l < layers; l++) {
                DetectorTrainingData trainL = train.onlyLayer(l);
                DetectorTrainingData testL = test.onlyLayer(l);
                try (AttentionDetector one = new DetectorTrainer(
                        base.optLayerEmbedding(false).optPositionEmbedding(position).build()).train(trainL)) {
                    float[][] p = one.probabilities(testL);
                    int k = 0;
                    for (int i = 0; i < test.size(); i++) {
                        if (test.layer(i) == l) {
                            perProbs[i] = p[k++];
                        }
                    }
                }
            }
            report("one per layer" + suffix, perProbs, truth, test, (System.nanoTime() - t0) / 1e9);
        }
    }

    private static void report(String name, float[][] p, boolean[][] truth, DetectorTrainingData test, double s) {
        DetectionMetrics all = DetectionMetrics.strict(p, truth, 0.1);
        TauSelection.Choice best = TauSelection.maxF1().select(p, truth);
        List<String> perLayer = new ArrayList<>();
        for (int l = 0; l < test.layers(); l++) {
            List<float[]> pl = new ArrayList<>();
            List<boolean[]> tl = new ArrayList<>();
            for (int i = 0; i < test.size(); i++) {
                if (test.layer(i) == l) {
                    pl.add(p[i]);
                    tl.add(truth[i]);
                }
            }
            DetectionMetrics m = DetectionMetrics.strict(pl.toArray(new float[0][]), tl.toArray(new boolean[0][]), 0.1);
            perLayer.add(String.format(java.util.Locale.ROOT, "L%d F1 %.3f FPR %.3f", l, m.f1(), m.fpr()));
        }
        System.out.printf(java.util.Locale.ROOT, "EXPERIMENT %-28s τ=0.1: %s | best τ %.2f F1 %.3f FPR %.3f | %s | %.0f s%n",
                name, all, best.tau(), best.metrics().f1(), best.metrics().fpr(), String.join(", ", perLayer), s);
    }
}
