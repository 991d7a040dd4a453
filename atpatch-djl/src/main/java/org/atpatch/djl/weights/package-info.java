/**
 * Weights trained elsewhere, brought into the library's models: {@link
 * org.atpatch.djl.weights.TensorFile} reads a PyTorch state dict saved as safetensors or NumPy,
 * {@link org.atpatch.djl.weights.ImportProfile} says how a source library names and sizes a ViT (kept
 * as data: timm and Hugging Face ship with the library), and {@link
 * org.atpatch.djl.weights.WeightImporter} builds and fills a {@link
 * org.atpatch.djl.model.VisionTransformer} from both, refusing any tensor it cannot place.
 */
package org.atpatch.djl.weights;
