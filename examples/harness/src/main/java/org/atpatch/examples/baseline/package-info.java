/**
 * The repairs the paper compares AtPatch with, run on the same victims and data: {@link
 * org.atpatch.examples.baseline.FinePruning}, {@link org.atpatch.examples.baseline.Care}, {@link
 * org.atpatch.examples.baseline.Idnn} (backdoors and fairness) and {@link
 * org.atpatch.examples.baseline.Adf} (fairness). Each is a {@link org.atpatch.examples.baseline.Repair}:
 * it takes the victim, the clean data it may use and the defect it is told about (the inverted
 * trigger's stamped inputs, or the protected attribute), and returns a repaired copy of the model with
 * its wall time and settings; the victim is never changed.
 *
 * <p>The neuron-level methods act on the units the classifier's last linear layer reads ({@link
 * org.atpatch.examples.baseline.HeadLayer}): the CLS representation after the final norm for ViT,
 * T2T-ViT and the tabular CLS families, the pooled features for Swin, the last hidden layer of
 * TabTransformer's MLP head. A unit edit {@code h_i ← s_i · h_i + c_i} there is exact as a change of
 * that layer's weights and bias, so every repaired model is an ordinary model with edited parameters.
 */
package org.atpatch.examples.baseline;
