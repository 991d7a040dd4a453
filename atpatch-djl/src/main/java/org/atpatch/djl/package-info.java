/**
 * AtPatch's front door: what an application touches.
 *
 * <ul>
 *   <li>{@link org.atpatch.djl.AtPatch}: offline, trains a detector and benign statistics Q from a
 *       {@link org.atpatch.djl.DebuggingSet} and returns a {@link org.atpatch.djl.PatchedModel} or a
 *       {@link org.atpatch.djl.PatchBundle}.
 *   <li>{@link org.atpatch.djl.PatchedModel}: online, {@code predict} / {@code predictWithReport}
 *       ({@link org.atpatch.djl.PatchResult}, one {@link org.atpatch.djl.PatchReport} per sample),
 *       save, load and hot swap of bundles.
 *   <li>{@link org.atpatch.djl.LabelledData}: the host-side sample container every entry point takes;
 *       {@link org.atpatch.djl.Predictions}: argmax classes of a whole set, patched or not.
 * </ul>
 *
 * <p>May import {@code org.atpatch.core}, {@code org.atpatch.detector}, and this module's
 * {@code interception} and {@code patch} packages; never {@code model} (any model built from the
 * interceptable block can be protected, not only the shipped families) except to read a family's
 * token layout through {@link org.atpatch.djl.interception.InterceptableTransformer}.
 */
package org.atpatch.djl;
