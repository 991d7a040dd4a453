/**
 * Pictures of what AtPatch found and did, as PNG files a person can read at a glance (Java2D and
 * {@code javax.imageio}, no other dependency):
 *
 * <ul>
 *   <li>{@link org.atpatch.djl.render.InversionOverview}: every class's inverted mask and its trigger
 *       stamped on a sample, with mask L1 and anomaly index, the flagged classes outlined;
 *   <li>{@link org.atpatch.djl.render.AttentionPicture}: for a few audited inputs ({@link
 *       org.atpatch.djl.PatchedModel#audit}), the attention each token column draws at every layer,
 *       unpatched and patched, with the flagged columns outlined.
 * </ul>
 *
 * <p>May import {@code org.atpatch.core}, the front door {@code org.atpatch.djl} and {@code
 * org.atpatch.djl.debugset}; nothing on the online path imports this package.
 */
package org.atpatch.djl.render;
