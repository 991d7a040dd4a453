package org.atpatch.examples.reproduce;

import java.util.Arrays;
import java.util.Locale;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.model.FTTransformer;
import org.atpatch.djl.model.TaBertStyleEncoder;
import org.atpatch.djl.model.TabTransformer;
import org.atpatch.examples.data.TabularDataset;
import org.atpatch.examples.data.Vocabulary;

/**
 * The three tabular victim families of Table 1, each built for a {@link TabularDataset}'s features in
 * input order (numeric first, then categorical codes), so the same encoded rows feed any of them.
 * The paper pairs them with the datasets as {@link #forDataset}: TabTransformer for Census, the
 * TaBERT-style encoder for COMPAS, FT-Transformer for Bank.
 */
public enum TabularFamily {
    /** {@link TabTransformer}: one token per categorical feature; numeric features join the head. */
    TAB_TRANSFORMER,
    /** {@link TaBertStyleEncoder}: CLS, then a name and a value token per feature (numeric ones bucketed). */
    TABERT,
    /** {@link FTTransformer}: CLS, then one token per feature. */
    FT_TRANSFORMER;

    /** Quantiles whose cut points bucket a numeric feature for the TaBERT-style value tokens. */
    static final int NUMERIC_BUCKETS = 8;

    /**
     * @param dataset {@code adult}, {@code compas} or {@code bank}
     * @return the family the paper trains on it (Table 1)
     */
    public static TabularFamily forDataset(String dataset) {
        return switch (dataset) {
            case "adult" -> TAB_TRANSFORMER;
            case "compas" -> TABERT;
            case "bank" -> FT_TRANSFORMER;
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "': adult, compas or bank");
        };
    }

    /**
     * @param name {@code tab}, {@code tabert} or {@code ft} (or the constant's name, any case)
     * @return the family
     */
    public static TabularFamily byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tab", "tab_transformer", "tabtransformer" -> TAB_TRANSFORMER;
            case "tabert", "tabert-style" -> TABERT;
            case "ft", "ft_transformer", "fttransformer" -> FT_TRANSFORMER;
            default -> throw new IllegalArgumentException("unknown family '" + name + "': tab, tabert or ft");
        };
    }

    /**
     * Builds the (uninitialised) model block for a dataset.
     *
     * @param d the dataset (its features and vocabularies)
     * @param depth encoder layers
     * @param width token width
     * @param heads attention heads
     * @return the block
     */
    public InterceptableTransformer build(TabularDataset d, int depth, int width, int heads) {
        return switch (this) {
            case TAB_TRANSFORMER -> {
                TabTransformer.Builder b = TabTransformer.builder();
                d.spec().numeric().forEach(b::addNumericFeature);
                addCategorical(d, b);
                yield b.setDepth(depth).setWidth(width).setHeads(heads).optMlpRatio(2).setClasses(2).build();
            }
            case TABERT -> {
                TaBertStyleEncoder.Builder b = TaBertStyleEncoder.builder();
                for (int i = 0; i < d.spec().numeric().size(); i++) {
                    b.addNumericFeature(d.spec().numeric().get(i), bucketBoundaries(d.train(), i));
                }
                addCategorical(d, b);
                yield b.setDepth(depth).setWidth(width).setHeads(heads).optMlpRatio(2).setClasses(2).build();
            }
            case FT_TRANSFORMER -> d.addFeaturesTo(FTTransformer.builder())
                    .setDepth(depth).setWidth(width).setHeads(heads).optMlpRatio(2).setClasses(2).build();
        };
    }

    private static void addCategorical(TabularDataset d, org.atpatch.djl.model.TabularEncoderBuilder<?> b) {
        for (Vocabulary v : d.vocabularies()) {
            b.addCategoricalFeature(v.feature(), v.cardinality());
        }
    }

    /**
     * Bucket boundaries for numeric input {@code feature} of the train split: the cut points of
     * {@value #NUMERIC_BUCKETS} quantile buckets, each placed halfway between a quantile value and the
     * next larger value in the data, so a value with a large mass (a count that is mostly 0) falls wholly
     * on one side; duplicates are dropped. A constant feature gets one boundary above its value.
     *
     * @param train the train split
     * @param feature the numeric feature's input index
     * @return finite, strictly increasing boundaries (at least one)
     */
    static double[] bucketBoundaries(LabelledData train, int feature) {
        int per = train.sampleSize();
        double[] v = new double[train.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = train.inputs()[i * per + feature];
        }
        Arrays.sort(v);
        double[] cuts = new double[NUMERIC_BUCKETS - 1];
        int n = 0;
        for (int k = 1; k < NUMERIC_BUCKETS; k++) {
            double q = v[(int) Math.min(v.length - 1, (long) k * v.length / NUMERIC_BUCKETS)];
            int above = upperBound(v, q);
            if (above == v.length) {
                continue;
            }
            double cut = (q + v[above]) / 2;
            if (n == 0 || cut > cuts[n - 1]) {
                cuts[n++] = cut;
            }
        }
        return n == 0 ? new double[] {v[v.length - 1] + 1} : Arrays.copyOf(cuts, n);
    }

    /** @return the first index whose value is greater than {@code q} in the sorted array */
    private static int upperBound(double[] sorted, double q) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= q) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
