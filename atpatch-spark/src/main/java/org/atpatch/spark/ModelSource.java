package org.atpatch.spark;

import java.io.Serializable;

/**
 * What an executor needs to rebuild the scoring model: the factory and where its files are.
 *
 * @param factory builds the victim's architecture
 * @param weights the weights file's path or URI
 * @param bundle the patch bundle's path or URI, or null to score the unpatched model
 * @param sampleShape one sample's input shape, or null to take the model family's
 */
record ModelSource(ModelFactory factory, String weights, String bundle, long[] sampleShape) implements Serializable {

    /** @return the key of the JVM-wide cache: the two files (one architecture per weights file) */
    String key() {
        return weights + "\n" + (bundle == null ? "(unpatched)" : bundle);
    }

    /** @return the files, for messages */
    String describe() {
        return "weights " + weights + (bundle == null ? ", unpatched" : ", bundle " + bundle);
    }
}
