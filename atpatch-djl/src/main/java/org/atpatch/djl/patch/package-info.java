/**
 * What AtPatch does to a flagged column: the patch rules ({@link org.atpatch.djl.patch.PatchRule},
 * the shipped ones in {@link org.atpatch.djl.patch.PatchRules}: the paper's Γ, Γ without rescaling,
 * drop-and-renormalise, and the token-state rule), choosing one on a backdoor debugging set
 * ({@link org.atpatch.djl.patch.PatchRuleSelection}), and the device-native Γ that runs inside the
 * forward pass on the model's device ({@link org.atpatch.djl.patch.DeviceHotPatch},
 * {@link org.atpatch.djl.patch.BenignOnDevice}). The host-side reference Γ is
 * {@code org.atpatch.core.HotPatch}; the two agree to 1e-6.
 *
 * <p>May import {@code org.atpatch.core}, {@code org.atpatch.detector}, {@code interception} and the
 * front door.
 */
package org.atpatch.djl.patch;
