package org.atpatch.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.atpatch.djl.LabelledData;

/**
 * The Fashion-MNIST subset embedded in this module (first 8,000 training and 2,000 test images, MIT
 * license beside them in {@code /quickstart/}), so the quickstart runs with no data outside the repo.
 */
public final class EmbeddedFashionMnist {

    /** Fashion-MNIST's class names, by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");

    private EmbeddedFashionMnist() {}

    /** @return the 8,000 training images */
    public static LabelledData train() throws IOException {
        return read("train-images.idx3.gz", "train-labels.idx1.gz");
    }

    /** @return the 2,000 test images */
    public static LabelledData test() throws IOException {
        return read("test-images.idx3.gz", "test-labels.idx1.gz");
    }

    private static LabelledData read(String images, String labels) throws IOException {
        try (InputStream x = open(images); InputStream y = open(labels)) {
            return IdxImages.read(x, y, -1, "quickstart/" + images);
        }
    }

    private static InputStream open(String name) throws IOException {
        InputStream in = EmbeddedFashionMnist.class.getResourceAsStream("/quickstart/" + name);
        if (in == null) {
            throw new IOException("embedded resource /quickstart/" + name + " is missing from the classpath");
        }
        return in;
    }
}
