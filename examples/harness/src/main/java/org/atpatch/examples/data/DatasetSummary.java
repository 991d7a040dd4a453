package org.atpatch.examples.data;

import java.io.IOException;
import java.util.Arrays;
import org.atpatch.djl.LabelledData;

/**
 * Prints what the loaders read from a data directory (row counts, split sizes, label rates,
 * vocabularies, scaling): the numbers behind the "Datasets and preprocessing" section of
 * {@code docs/reproduce.md}. Run with {@code -Datpatch.data=<folder>}.
 */
public final class DatasetSummary {

    private DatasetSummary() {}

    /**
     * @param args ignored
     * @throws IOException when a dataset is missing or malformed
     */
    public static void main(String[] args) throws IOException {
        DataDirectory dir = DataDirectory.fromEnvironment();
        System.out.println("data directory: " + dir.root());
        for (ImageSplit s : ImageSplit.values()) {
            System.out.println(images("mnist " + s, IdxDatasets.mnist(dir, s)));
            System.out.println(images("fashion-mnist " + s, IdxDatasets.fashionMnist(dir, s)));
            System.out.println(images("cifar10 " + s, Cifar10.load(dir, s)));
        }
        System.out.print(AdultCensus.load(dir, AdultCensus.DEFAULT_SPLIT).describe());
        System.out.print(Compas.load(dir, Compas.DEFAULT_SPLIT).describe());
        System.out.print(BankMarketing.load(dir, BankMarketing.DEFAULT_SPLIT).describe());
    }

    private static String images(String name, LabelledData d) {
        int[] counts = new int[10];
        for (int y : d.labels()) {
            counts[y]++;
        }
        return name + ": " + d.size() + " images of shape " + d.sampleShape() + ", per class " + Arrays.toString(counts);
    }
}
