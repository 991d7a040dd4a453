/**
 * Building blocks of the transformer families in {@link org.atpatch.djl.model}: the pre-norm
 * residual layer every family is made of ({@link org.atpatch.djl.model.internal.PreNormEncoderLayer},
 * in three kinds: encoder, Swin, tokens-to-token) with the table of its saved parameter layouts
 * ({@link org.atpatch.djl.model.internal.ParameterLayout}), Swin's window geometry ({@link
 * org.atpatch.djl.model.internal.ShiftedWindows}), T2T-ViT's soft split ({@link
 * org.atpatch.djl.model.internal.SoftSplit}), the token gather both rest on ({@link
 * org.atpatch.djl.model.internal.TokenGather}), and the categorical codes of the tabular families
 * ({@link org.atpatch.djl.model.internal.CategoricalCodes}).
 *
 * <p><b>Not API.</b> These types are public only so that the families and other AtPatch
 * packages can reach them; they may change without notice. The one
 * promise kept across changes is that parameters saved by any earlier layout still load (see
 * {@link org.atpatch.djl.model.internal.ParameterLayout}).
 *
 * <p>Blocks here follow DJL's rules: not thread-safe while built, initialised or loaded; once
 * initialised, their forward may run on several threads at once. The geometry and code classes are
 * immutable.
 *
 * <p>This package imports {@code org.atpatch.djl.interception} (the interceptable attention and the
 * token-state point) and DJL, nothing else of AtPatch.
 */
package org.atpatch.djl.model.internal;
