/**
 * The programs a user reads and copies: {@link org.atpatch.examples.quickstart.BackdoorQuickstart},
 * {@link org.atpatch.examples.quickstart.FairnessQuickstart} and the README's snippet
 * ({@link org.atpatch.examples.quickstart.ReadmeExample}). Each shows its library calls on screen;
 * the victims they defend come from the harness.
 */
package org.atpatch.examples.quickstart;
