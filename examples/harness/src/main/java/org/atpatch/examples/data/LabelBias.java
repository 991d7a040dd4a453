package org.atpatch.examples.data;

import java.util.Locale;
import java.util.SplittableRandom;
import org.atpatch.djl.LabelledData;

/**
 * A planted dependence on a protected attribute, for measuring what a biased victim looks like: in the
 * train split, each row that holds {@code value} of {@code attribute} and label 1 gets label 0 with
 * probability {@code share} (seeded), so a model trained on it learns that the value lowers the
 * positive rate beyond what the data says. The debugging and test splits are left as they are: the
 * defender's data and the evaluation keep the real labels.
 *
 * <p>Written on a command line as {@code attribute=value:share}, for example {@code sex=Female:0.5}.
 *
 * @param attribute a categorical feature of the dataset
 * @param value one of its known values
 * @param share probability in (0, 1] that a matching positive row is relabelled
 * @param seed seed of the draws
 */
public record LabelBias(String attribute, String value, double share, long seed) {

    /** Validates the share and the names. */
    public LabelBias {
        if (attribute == null || attribute.isBlank() || value == null || value.isBlank()) {
            throw new IllegalArgumentException("a label bias needs an attribute and a value, got '" + attribute + "="
                    + value + "'");
        }
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("label bias share must be in (0, 1], got " + share);
        }
    }

    /**
     * @param spec {@code attribute=value:share}
     * @param seed seed of the draws
     * @return the bias it names
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static LabelBias parse(String spec, long seed) {
        int eq = spec.indexOf('=');
        int colon = spec.lastIndexOf(':');
        if (eq <= 0 || colon < eq + 2 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("label bias must read attribute=value:share (e.g. sex=Female:0.5), got '"
                    + spec + "'");
        }
        double share;
        try {
            share = Double.parseDouble(spec.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("label bias share is not a number in '" + spec + "'", e);
        }
        return new LabelBias(spec.substring(0, eq), spec.substring(eq + 1, colon), share, seed);
    }

    /**
     * @param data a dataset with this categorical attribute and value
     * @return the same dataset with the train split's labels biased
     * @throws IllegalArgumentException when the dataset has no such attribute or value
     */
    public TabularDataset applyTo(TabularDataset data) {
        int code = data.vocabulary(attribute).code(value);
        if (code == 0) {
            throw new IllegalArgumentException(data.spec().name() + ": '" + attribute + "' has no value '" + value + "': "
                    + data.vocabulary(attribute).values());
        }
        LabelledData train = data.train();
        int column = data.inputIndex(attribute);
        int per = train.sampleSize();
        int[] labels = train.labels().clone();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < labels.length; i++) {
            double draw = random.nextDouble(); // one draw per row, so the rows drawn do not depend on the others
            if (labels[i] == 1 && Math.round(train.inputs()[i * per + column]) == code && draw < share) {
                labels[i] = 0;
            }
        }
        return new TabularDataset(data.spec(), data.vocabularies(), data.means(), data.stds(),
                new LabelledData(train.inputs(), labels, train.sampleShape()), data.debug(), data.test(), data.rowsRead());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s=%s:%s (seed %d)", attribute, value, share, seed);
    }
}
