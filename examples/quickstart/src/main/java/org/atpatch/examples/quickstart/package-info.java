/**
 * The programs a user reads and copies: {@link org.atpatch.examples.quickstart.BackdoorQuickstart},
 * {@link org.atpatch.examples.quickstart.FairnessQuickstart}, the README's snippet
 * ({@link org.atpatch.examples.quickstart.ReadmeExample}) and {@link
 * org.atpatch.examples.quickstart.ImportedVitExample} (a ViT trained with timm or Hugging Face,
 * imported from its weight file, hot-fixed and served through a DJL predictor). Each shows its
 * library calls on screen; the victims of the quickstarts come from the harness.
 */
package org.atpatch.examples.quickstart;
