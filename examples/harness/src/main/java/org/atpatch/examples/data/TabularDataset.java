package org.atpatch.examples.data;

import java.util.List;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.core.SerialisedRowLayout;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.model.FTTransformer;

/**
 * An encoded tabular benchmark, ready for a tabular transformer: seeded, disjoint train / debugging /
 * test splits whose samples are {@code (numeric + categorical)} floats, the numeric features first
 * (standardised with the train split's mean and standard deviation), then each categorical feature's
 * code ({@link Vocabulary}, fixed from the train split, 0 = unknown). This is the input layout of
 * {@link FTTransformer}, one token per feature, so every protected attribute is its own token.
 *
 * @param spec what was kept and how it was encoded
 * @param vocabularies one per categorical feature, in input order
 * @param means the numeric features' train-split means
 * @param stds the numeric features' train-split standard deviations (population; 1 where 0)
 * @param train the train split
 * @param debug the debugging split (for the debugging set, disjoint from train and test)
 * @param test the test split (for accuracy and unfairness)
 * @param rowsRead the data rows read from the files
 */
public record TabularDataset(TabularSpec spec, List<Vocabulary> vocabularies, double[] means, double[] stds,
        LabelledData train, LabelledData debug, LabelledData test, int rowsRead) {

    /** Copies the lists and checks the sizes. */
    public TabularDataset {
        vocabularies = List.copyOf(vocabularies);
        if (vocabularies.size() != spec.categorical().size() || means.length != spec.numeric().size()
                || stds.length != means.length) {
            throw new IllegalArgumentException(spec.name() + ": encoding does not match the spec's features");
        }
        means = means.clone();
        stds = stds.clone();
    }

    /** @return all features in input order (numeric, then categorical) */
    public List<String> features() {
        return spec.features();
    }

    /**
     * @param feature a feature name
     * @return its position in a sample (and, after the CLS token, its FT-Transformer token)
     */
    public int inputIndex(String feature) {
        int i = features().indexOf(feature);
        if (i < 0) {
            throw new IllegalArgumentException(spec.name() + " has no feature '" + feature + "': " + features());
        }
        return i;
    }

    /**
     * @param feature a categorical feature
     * @return its vocabulary
     */
    public Vocabulary vocabulary(String feature) {
        int i = spec.categorical().indexOf(feature);
        if (i < 0) {
            throw new IllegalArgumentException(spec.name() + " has no categorical feature '" + feature + "': "
                    + spec.categorical());
        }
        return vocabularies.get(i);
    }

    /**
     * Adds this dataset's features, in input order, to an FT-Transformer builder.
     *
     * @param builder a builder with no features yet
     * @return the builder
     */
    public FTTransformer.Builder addFeaturesTo(FTTransformer.Builder builder) {
        for (String n : spec.numeric()) {
            builder.addNumericFeature(n);
        }
        for (Vocabulary v : vocabularies) {
            builder.addCategoricalFeature(v.feature(), v.cardinality());
        }
        return builder;
    }

    /**
     * The protected attribute for the fairness debugging set and the unfairness rate, with value set A =
     * the attribute's known codes {@code 1..k} (never the unknown bucket), and its token columns in
     * the model's layout: the feature's token for a {@link FeatureTokenLayout} (FT-Transformer,
     * TabTransformer), its name and value tokens for a {@link SerialisedRowLayout} (TaBERT-style).
     *
     * @param model a tabular transformer built over this dataset's features in input order
     * @param name one of {@code spec().protectedAttributes()}
     * @return the attribute
     * @throws IllegalArgumentException if {@code name} is not protected, or the model's layout has no
     *     token for it
     */
    public ProtectedAttribute protectedAttribute(InterceptableTransformer model, String name) {
        if (!spec.protectedAttributes().contains(name)) {
            throw new IllegalArgumentException(spec.name() + ": '" + name + "' is not a protected attribute; they are "
                    + spec.protectedAttributes());
        }
        if (!model.sampleInputShape().equals(new ai.djl.ndarray.types.Shape(features().size()))) {
            throw new IllegalArgumentException("the model takes inputs shaped " + model.sampleInputShape()
                    + " but " + spec.name() + " rows have " + features().size() + " features");
        }
        int k = vocabulary(name).values().size();
        float[] codes = new float[k];
        for (int i = 0; i < k; i++) {
            codes[i] = i + 1;
        }
        TokenLayout layout = model.tokenLayout();
        int[] columns;
        if (layout instanceof FeatureTokenLayout f) {
            columns = new int[] {f.columnOf(name)};
        } else if (layout instanceof SerialisedRowLayout r) {
            columns = r.columnsOf(name);
        } else {
            throw new IllegalArgumentException("cannot place attribute '" + name + "' in a " + layout.getClass().getSimpleName());
        }
        return ProtectedAttribute.of(layout, name, inputIndex(name), codes, columns);
    }

    /** @return a multi-line description: features, vocabularies, scaling, splits and label rates */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append(spec.name()).append(": ").append(rowsRead).append(" rows read; train ").append(train.size())
                .append(" (positive ").append(positives(train)).append("), debugging ").append(debug.size())
                .append(" (positive ").append(positives(debug)).append("), test ").append(test.size())
                .append(" (positive ").append(positives(test)).append("); label 1 = ").append(spec.label())
                .append('\n');
        for (int i = 0; i < means.length; i++) {
            s.append(String.format(java.util.Locale.ROOT, "  numeric %s: mean %.4f, std %.4f%n",
                    spec.numeric().get(i), means[i], stds[i]));
        }
        for (Vocabulary v : vocabularies) {
            s.append("  categorical ").append(v.feature())
                    .append(spec.protectedAttributes().contains(v.feature()) ? " (protected)" : "")
                    .append(": ").append(v.cardinality()).append(" codes, 0 = ").append(Vocabulary.UNKNOWN)
                    .append(", ").append(v.values());
            int unknownDebug = count(debug, v.feature(), 0);
            int unknownTest = count(test, v.feature(), 0);
            if (unknownDebug + unknownTest > 0) {
                s.append("; unseen in train (code 0): ").append(unknownDebug).append(" debugging, ").append(unknownTest)
                        .append(" test rows");
            }
            s.append('\n');
            if (spec.protectedAttributes().contains(v.feature())) {
                s.append("    rows per value (train / debugging / test): ");
                for (int code = 1; code < v.cardinality(); code++) {
                    s.append(code == 1 ? "" : ", ").append(v.valueOf(code)).append(' ')
                            .append(count(train, v.feature(), code)).append(" / ")
                            .append(count(debug, v.feature(), code)).append(" / ")
                            .append(count(test, v.feature(), code));
                }
                s.append('\n');
            }
        }
        return s.toString();
    }

    private int count(LabelledData d, String feature, int code) {
        int at = inputIndex(feature);
        int per = d.sampleSize();
        int c = 0;
        for (int i = 0; i < d.size(); i++) {
            c += d.inputs()[i * per + at] == code ? 1 : 0;
        }
        return c;
    }

    private static int positives(LabelledData d) {
        int p = 0;
        for (int y : d.labels()) {
            p += y;
        }
        return p;
    }
}
