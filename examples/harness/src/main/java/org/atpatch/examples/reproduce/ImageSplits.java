package org.atpatch.examples.reproduce;

import java.io.IOException;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ImageSplit;

/**
 * The image data of one benchmark cut for a backdoor experiment: the victim's training images (the
 * official training split, optionally only its first {@code trainLimit}), the defender's clean pool
 * for trigger inversion and the debugging set (the first {@code poolSize} official test images), and
 * the evaluation images after them (optionally only the next {@code evalLimit}). The three are
 * disjoint: evaluation never sees a training or debugging image.
 *
 * @param dataset the benchmark
 * @param train training images (clean; the attack poisons them)
 * @param pool the defender's clean pool
 * @param eval held-out evaluation images
 */
public record ImageSplits(String dataset, LabelledData train, LabelledData pool, LabelledData eval) {

    /**
     * @param dir the data directory
     * @param dataset {@code mnist}, {@code fashion-mnist} or {@code cifar10}
     * @param trainLimit most training images, 0 for all
     * @param poolSize test images given to the defender
     * @param evalLimit most evaluation images, 0 for all the remaining test images
     * @return the splits
     * @throws IOException when a file is missing or damaged
     */
    public static ImageSplits load(DataDirectory dir, String dataset, int trainLimit, int poolSize, int evalLimit)
            throws IOException {
        if (trainLimit < 0 || evalLimit < 0 || poolSize <= 0) {
            throw new IllegalArgumentException("train and eval limits must be >= 0 (0 = all) and the pool positive, got "
                    + trainLimit + ", " + evalLimit + ", " + poolSize);
        }
        LabelledData train = ImageFamily.load(dir, dataset, ImageSplit.TRAIN);
        LabelledData test = ImageFamily.load(dir, dataset, ImageSplit.TEST);
        if (poolSize >= test.size()) {
            throw new IllegalArgumentException("the pool of " + poolSize + " leaves no evaluation image of the "
                    + test.size() + " test images");
        }
        int evalEnd = evalLimit == 0 ? test.size() : Math.min(test.size(), poolSize + evalLimit);
        return new ImageSplits(dataset, trainLimit == 0 ? train : train.range(0, Math.min(trainLimit, train.size())),
                test.range(0, poolSize), test.range(poolSize, evalEnd));
    }

    /** @return a description of the sizes, for the cache key and logs */
    public String describe() {
        return dataset + "(train=" + train.size() + ",pool=" + pool.size() + ",eval=" + eval.size() + ")";
    }
}
