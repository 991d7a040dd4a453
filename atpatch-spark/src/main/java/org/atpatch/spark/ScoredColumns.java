package org.atpatch.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.atpatch.core.AnomalySet;
import org.atpatch.djl.PatchReport;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The columns {@link PatchedScorer} appends to the input's, in this order. A row that could not be
 * scored has null in every column but {@link #ERROR}; a scored row has null there.
 *
 * <ul>
 *   <li>{@value #PREDICTION} {@code int}: the arg-max class of the logits.
 *   <li>{@value #LOGITS} {@code array<float>}: the (patched) model's logits.
 *   <li>{@value #PATCHED} {@code boolean}: whether the output came from a patched forward
 *       ({@link PatchReport#patched()}); false means the unpatched model's output bit for bit.
 *   <li>{@value #FLAGGED_LAYERS} {@code array<int>}: the layers that flagged a column, increasing.
 *   <li>{@value #FLAGGED_COLUMNS} {@code array<int>}: the union over layers of the flagged token
 *       columns, increasing ({@link AnomalySet#union()}).
 *   <li>{@value #FLAGS} {@code array<struct<layer: int, columns: array<int>, probabilities: array<float>>>}:
 *       the full report, one entry per flagging layer with the detector's probabilities.
 *   <li>{@value #ERROR} {@code string}: why the row was not scored (bad length, NaN or infinite
 *       value, or the model refused the sample).
 * </ul>
 */
public final class ScoredColumns {

    /** The predicted class. */
    public static final String PREDICTION = "prediction";
    /** The logits. */
    public static final String LOGITS = "logits";
    /** Whether the sample was patched. */
    public static final String PATCHED = "patched";
    /** The layers that flagged a column. */
    public static final String FLAGGED_LAYERS = "flagged_layers";
    /** The flagged token columns, all layers together. */
    public static final String FLAGGED_COLUMNS = "flagged_columns";
    /** The report per flagging layer. */
    public static final String FLAGS = "flags";
    /** Why a row was not scored. */
    public static final String ERROR = "error";

    /** The names in the order they are appended. */
    public static final List<String> NAMES = List.of(PREDICTION, LOGITS, PATCHED, FLAGGED_LAYERS, FLAGGED_COLUMNS, FLAGS, ERROR);

    private static final StructType LAYER_FLAGS = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("layer", DataTypes.IntegerType, false),
        DataTypes.createStructField("columns", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    });

    private ScoredColumns() {}

    /**
     * @param input the input's schema
     * @return the input's fields followed by the scored columns
     * @throws IllegalArgumentException when the input already has a column of one of those names
     */
    static StructType appendTo(StructType input) {
        for (String name : NAMES) {
            if (Arrays.asList(input.fieldNames()).contains(name)) {
                throw new IllegalArgumentException("the input already has a column '" + name + "', which the scorer adds;"
                        + " rename or drop it first (the scorer adds " + NAMES + ")");
            }
        }
        return input
                .add(PREDICTION, DataTypes.IntegerType, true)
                .add(LOGITS, DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add(PATCHED, DataTypes.BooleanType, true)
                .add(FLAGGED_LAYERS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(FLAGGED_COLUMNS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(FLAGS, DataTypes.createArrayType(LAYER_FLAGS, false), true)
                .add(ERROR, DataTypes.StringType, true);
    }

    /**
     * @param input the input row
     * @param logits the sample's logits
     * @param report its patch report, or null when the model is unpatched (nothing flagged)
     * @return the input's values followed by the scored columns
     */
    static Row scored(Row input, float[] logits, PatchReport report) {
        AnomalySet flags = report == null ? AnomalySet.none() : report.flags();
        List<Row> perLayer = new ArrayList<>(flags.layers().size());
        for (AnomalySet.LayerFlags f : flags.layers()) {
            perLayer.add(RowFactory.create(f.layer(), f.columns(), f.probabilities()));
        }
        int[] layers = flags.layers().stream().mapToInt(AnomalySet.LayerFlags::layer).toArray();
        // Spark's row encoder takes primitive arrays as they are, and other arrays as Scala sequences.
        return append(input, argmax(logits), logits, report != null && report.patched(), layers, flags.union(),
                CollectionConverters.asScala(perLayer).toSeq(), null);
    }

    /**
     * @param input the input row
     * @param error why it was not scored
     * @return the input's values, nulls, and the error
     */
    static Row failed(Row input, String error) {
        return append(input, null, null, null, null, null, null, error);
    }

    private static Row append(Row input, Object... scored) {
        Object[] values = new Object[input.length() + scored.length];
        for (int i = 0; i < input.length(); i++) {
            values[i] = input.get(i);
        }
        System.arraycopy(scored, 0, values, input.length(), scored.length);
        return RowFactory.create(values);
    }

    /** The first index of the largest value, as DJL's argMax. */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
