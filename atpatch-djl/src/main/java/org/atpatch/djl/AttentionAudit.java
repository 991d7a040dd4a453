package org.atpatch.djl;

import java.util.List;

/**
 * What a patched model attended to for a batch, before and after the patch: per sample and layer,
 * the head-averaged attention map of the unpatched forward and of the forward whose output the
 * sample got, with the {@link PatchResult} of the same call. It is made by {@link
 * PatchedModel#audit}, off the online path, and holds host copies (about {@code samples · layers ·
 * N² · 8} bytes), so audit a handful of inputs, not a data set.
 *
 * <p>"After" is the forward that produced the sample's logits: for a sample that was not patched it
 * is the unpatched forward (its maps equal "before"); in two-pass mode a patched sample's maps come
 * from the re-run with the patch rule applied on the union of its flagged columns; in streaming mode
 * from the one forward that patched from the flagging layer on. The maps are those the layer
 * continued with, after the rule.
 *
 * <p>Immutable and thread-safe; the arrays it returns are copies.
 */
public final class AttentionAudit {

    private final PatchResult result;
    private final int tokens;
    private final float[][][] before;
    private final float[][][] after;
    private final int[] classesBefore;
    private final int[] classesAfter;

    /**
     * @param result the call's logits and reports, one report per sample
     * @param tokens N, the side of every map
     * @param before {@code [sample][layer]} head-averaged unpatched maps, {@code N × N} row-major
     *     (query rows, key columns) each
     * @param after the same for the forward that produced each sample's output
     * @param classesBefore the unpatched model's argmax class per sample
     * @param classesAfter the patched model's argmax class per sample (of the result's logits)
     */
    AttentionAudit(PatchResult result, int tokens, float[][][] before, float[][][] after, int[] classesBefore,
            int[] classesAfter) {
        if (before.length != result.reports().size() || after.length != before.length) {
            throw new IllegalArgumentException("maps for " + before.length + " and " + after.length + " samples but "
                    + result.reports().size() + " reports");
        }
        this.result = result;
        this.tokens = tokens;
        this.before = before;
        this.after = after;
        this.classesBefore = classesBefore.clone();
        this.classesAfter = classesAfter.clone();
    }

    /**
     * @param sample a sample of the batch
     * @return the class the unpatched model predicts for it
     */
    public int classBefore(int sample) {
        map(before, sample, 0);
        return classesBefore[sample];
    }

    /**
     * @param sample a sample of the batch
     * @return the class the patched model predicts for it (the argmax of the result's logits)
     */
    public int classAfter(int sample) {
        map(before, sample, 0);
        return classesAfter[sample];
    }

    /** @return the logits and per-sample reports of the audited call */
    public PatchResult result() {
        return result;
    }

    /** @return the reports, one per sample, in batch order */
    public List<PatchReport> reports() {
        return result.reports();
    }

    /** @return how many samples the batch had */
    public int samples() {
        return before.length;
    }

    /** @return how many attention layers each sample has maps for */
    public int layers() {
        return before.length == 0 ? 0 : before[0].length;
    }

    /** @return N, the number of token columns (and rows) of every map */
    public int tokens() {
        return tokens;
    }

    /**
     * @param sample a sample of the batch
     * @param layer an attention layer
     * @return the unpatched head-averaged map, {@code N × N} row-major; rows sum to 1
     */
    public float[] before(int sample, int layer) {
        return map(before, sample, layer).clone();
    }

    /**
     * @param sample a sample of the batch
     * @param layer an attention layer
     * @return the head-averaged map of the forward whose output the sample got, {@code N × N} row-major
     */
    public float[] after(int sample, int layer) {
        return map(after, sample, layer).clone();
    }

    /**
     * The attention each token column draws: the mean over query rows of a map, the quantity whose
     * excess AtPatch calls over-attention.
     *
     * @param patched false for the unpatched forward, true for the one whose output the sample got
     * @param sample a sample of the batch
     * @param layer an attention layer
     * @return {@code [N]}, summing to 1
     */
    public float[] columnAttention(boolean patched, int sample, int layer) {
        float[] m = map(patched ? after : before, sample, layer);
        float[] col = new float[tokens];
        for (int q = 0; q < tokens; q++) {
            for (int k = 0; k < tokens; k++) {
                col[k] += m[q * tokens + k];
            }
        }
        for (int k = 0; k < tokens; k++) {
            col[k] /= tokens;
        }
        return col;
    }

    private float[] map(float[][][] maps, int sample, int layer) {
        if (sample < 0 || sample >= maps.length) {
            throw new IllegalArgumentException("sample " + sample + " outside the audited batch of " + maps.length);
        }
        if (layer < 0 || layer >= maps[sample].length) {
            throw new IllegalArgumentException("layer " + layer + " outside the model's " + maps[sample].length
                    + " attention layers");
        }
        return maps[sample][layer];
    }
}
