/**
 * The seven transformer families AtPatch ships, as DJL blocks whose attention AtPatch can intercept:
 * {@link org.atpatch.djl.model.VisionTransformer}, {@link org.atpatch.djl.model.SwinTransformer}
 * and {@link org.atpatch.djl.model.T2TViT} for images, {@link org.atpatch.djl.model.FTTransformer},
 * {@link org.atpatch.djl.model.TabTransformer} and {@link org.atpatch.djl.model.TaBertStyleEncoder}
 * for tables, {@link org.atpatch.djl.model.BertStyleEncoder} for text. Each is made with its builder (the shared sizes in {@link
 * org.atpatch.djl.model.EncoderBuilder}, the categorical features in {@link
 * org.atpatch.djl.model.TabularEncoderBuilder}), takes {@code (batch, …)} inputs described by its
 * {@code sampleInputShape()}, returns logits {@code (batch, classes)}, and describes its token
 * columns and its architecture fingerprint ({@link org.atpatch.djl.model.TransformerFamily}).
 *
 * <p><b>Saved parameters.</b> A family saved with DJL ({@code Model.save}, {@code
 * Block.saveParameters}) loads into a family built with the same builder settings, also when it
 * was saved by an earlier parameter layout of its layers: each layer reads an older layout
 * through its table in {@link org.atpatch.djl.model.internal.ParameterLayout}. Fingerprints hash
 * {@linkplain org.atpatch.djl.model.ParameterNames#canonical canonical parameter names}, which
 * layout changes leave as they are, so patch bundles stay valid too.
 *
 * <p><b>Threads.</b> Builders are not thread-safe. A family is not thread-safe while it is built,
 * initialised, trained or loaded; once initialised, its forward may run on several threads at once,
 * each with its own {@code ParameterStore} and arrays.
 *
 * <p><b>Dependencies.</b> This package imports {@code atpatch-core}, {@code
 * org.atpatch.djl.interception} and {@code org.atpatch.djl.model.internal} (the building blocks),
 * and DJL; never the front door ({@code org.atpatch.djl}) or {@code org.atpatch.djl.patch}, which
 * build on it.
 */
package org.atpatch.djl.model;
