package org.atpatch.examples.reproduce;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.model.SwinTransformer;
import org.atpatch.djl.model.T2TViT;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.examples.data.Cifar10;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.IdxDatasets;
import org.atpatch.examples.data.ImageSplit;

/**
 * The three image victims of Table 1, one per benchmark, sized to train on 2 CPU cores: the paper's
 * families at a fraction of their width and depth (the paper's clean accuracies, 98.6 / 87.0 / 83.1 %,
 * come from full-size models; see {@code victims.csv} of a run for what these reach).
 *
 * <ul>
 *   <li>{@link #VIT} for MNIST: 28 × 28 × 1, patch 4 (7 × 7 = 49 tokens + CLS), depth 3, width 64,
 *       4 heads, MLP ratio 2; token states {@code (B, 50, 64)}.
 *   <li>{@link #SWIN} for Fashion-MNIST: 28 × 28 × 1, patch 2 (14 × 14 grid), window 7, stages
 *       {@code 2, 2} (14 × 14 then 7 × 7 after one patch merging), width 32 (64 in stage 1), 4 heads;
 *       maps {@code (B·4, 4, 49, 49)} in stage 0 and {@code (B, 4, 49, 49)} in stage 1.
 *   <li>{@link #T2T} for CIFAR-10: 32 × 32 × 3, soft splits {@code k7 s4 p2} then {@code k3 s1 p1}
 *       (8 × 8 = 64 tokens + CLS), token width 32, depth 3, width 64, 4 heads, MLP ratio 2; token
 *       states {@code (B, 65, 64)}.
 * </ul>
 */
public enum ImageFamily {
    /** Vision Transformer (MNIST). */
    VIT,
    /** Swin Transformer, shifted windows (Fashion-MNIST). */
    SWIN,
    /** Tokens-to-token ViT (CIFAR-10). */
    T2T;

    /**
     * @param dataset {@code mnist}, {@code fashion-mnist} or {@code cifar10}
     * @return the family the paper trains on it
     */
    public static ImageFamily forDataset(String dataset) {
        return switch (dataset) {
            case "mnist" -> VIT;
            case "fashion-mnist" -> SWIN;
            case "cifar10" -> T2T;
            default -> throw unknownDataset(dataset);
        };
    }

    /** @return the (uninitialised) model block, 10 classes */
    public InterceptableTransformer build() {
        return switch (this) {
            case VIT -> VisionTransformer.builder().setImageSize(28).setPatchSize(4).setDepth(3).setWidth(64).setHeads(4)
                    .optMlpRatio(2).setClasses(10).build();
            case SWIN -> SwinTransformer.builder().setImageSize(28).setPatchSize(2).setWindowSize(7).setStageDepths(2, 2)
                    .setWidth(32).setHeads(4).optMlpRatio(2).setClasses(10).build();
            case T2T -> T2TViT.builder().setImageSize(32).optChannels(3).addSoftSplit(7, 4, 2).addSoftSplit(3, 1, 1)
                    .optTokenWidth(32).setDepth(3).setWidth(64).setHeads(4).optMlpRatio(2).setClasses(10).build();
        };
    }

    /** @return one image's shape {@code (C, H, W)} */
    public Shape sampleShape() {
        return this == T2T ? new Shape(3, 32, 32) : new Shape(1, 28, 28);
    }

    /**
     * Loads one official split of a benchmark.
     *
     * @param dir the data directory
     * @param dataset {@code mnist}, {@code fashion-mnist} or {@code cifar10}
     * @param split the split
     * @return the images in {@code [0, 1]}, shaped {@code (C, H, W)}
     * @throws IOException when a file is missing or damaged
     */
    public static LabelledData load(DataDirectory dir, String dataset, ImageSplit split) throws IOException {
        return switch (dataset) {
            case "mnist" -> IdxDatasets.mnist(dir, split);
            case "fashion-mnist" -> IdxDatasets.fashionMnist(dir, split);
            case "cifar10" -> Cifar10.load(dir, split);
            default -> throw unknownDataset(dataset);
        };
    }

    private static IllegalArgumentException unknownDataset(String dataset) {
        return new IllegalArgumentException("unknown image dataset '" + dataset + "': mnist, fashion-mnist or cifar10");
    }
}
