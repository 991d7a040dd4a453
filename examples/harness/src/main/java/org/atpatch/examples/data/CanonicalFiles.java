package org.atpatch.examples.data;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The canonical files of the seven benchmark datasets, with the checksums recorded in
 * {@code shared/datasets/SHA256SUMS} (and, for plain CIFAR-10 batches, the official MD5s listed in
 * {@code SOURCES.md}) and their canonical download locations.
 */
public final class CanonicalFiles {

    private static final String SHA256 = "SHA-256";
    private static final String MD5 = "MD5";
    private static final String MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/";
    private static final String FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    private static final String ADULT_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/";
    private static final String COMPAS_URL =
            "https://raw.githubusercontent.com/propublica/compas-analysis/bafff5da3f2e45eca6c2d5055faad269defd135a/";
    private static final String BANK_URL = "https://archive.ics.uci.edu/static/public/222/bank+marketing.zip";
    private static final String CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    private static final String IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";

    private static final List<DatasetFile> ALL = new ArrayList<>();
    /** mnist/train-images-idx3-ubyte.gz. */
    public static final DatasetFile MNIST_TRAIN_IMAGES = add(direct("mnist", "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", MNIST_URL));
    /** mnist/train-labels-idx1-ubyte.gz. */
    public static final DatasetFile MNIST_TRAIN_LABELS = add(direct("mnist", "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", MNIST_URL));
    /** mnist/t10k-images-idx3-ubyte.gz. */
    public static final DatasetFile MNIST_TEST_IMAGES = add(direct("mnist", "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", MNIST_URL));
    /** mnist/t10k-labels-idx1-ubyte.gz. */
    public static final DatasetFile MNIST_TEST_LABELS = add(direct("mnist", "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", MNIST_URL));
    /** fashion-mnist/train-images-idx3-ubyte.gz. */
    public static final DatasetFile FASHION_TRAIN_IMAGES = add(direct("fashion-mnist", "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", FASHION_URL));
    /** fashion-mnist/train-labels-idx1-ubyte.gz. */
    public static final DatasetFile FASHION_TRAIN_LABELS = add(direct("fashion-mnist", "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", FASHION_URL));
    /** fashion-mnist/t10k-images-idx3-ubyte.gz. */
    public static final DatasetFile FASHION_TEST_IMAGES = add(direct("fashion-mnist", "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", FASHION_URL));
    /** fashion-mnist/t10k-labels-idx1-ubyte.gz. */
    public static final DatasetFile FASHION_TEST_LABELS = add(direct("fashion-mnist", "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", FASHION_URL));
    /** adult/adult.data. */
    public static final DatasetFile ADULT_DATA = add(direct("adult", "adult.data",
            "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d", ADULT_URL));
    /** adult/adult.test. */
    public static final DatasetFile ADULT_TEST = add(direct("adult", "adult.test",
            "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05", ADULT_URL));
    /** adult/adult.names. */
    public static final DatasetFile ADULT_NAMES = add(direct("adult", "adult.names",
            "c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a", ADULT_URL));
    /** compas/compas-scores-two-years.csv. */
    public static final DatasetFile COMPAS_TWO_YEARS = add(direct("compas", "compas-scores-two-years.csv",
            "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d", COMPAS_URL));
    /** bank/bank-full.csv (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_FULL = add(inBankZip("bank-full.csv",
            "d1513ec63b385506f7cfce9f2c5caa9fe99e7ba4e8c3fa264b3aaf0f849ed32d", "bank.zip"));
    /** bank/bank.csv (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_SAMPLE = add(inBankZip("bank.csv",
            "dc8d576e9bda0f41ee891251bd84bab9a39ce576cba715aac08adc2374a01fde", "bank.zip"));
    /** bank/bank-names.txt (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_NAMES = add(inBankZip("bank-names.txt",
            "3899a77082573ed676a7dfce3765a5307915c7f11b1fe2f6f55fd3c5467c12f7", "bank.zip"));
    /** bank/bank-additional-full.csv (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_ADDITIONAL_FULL = add(inBankZip("bank-additional-full.csv",
            "74adfc578bf77a7ff4bb1ba4a9f8709d9e3c6907342959c2c8416847e0afb4d8", "bank-additional.zip"));
    /** bank/bank-additional.csv (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_ADDITIONAL_SAMPLE = add(inBankZip("bank-additional.csv",
            "7e59cf650004d65d1c9d6b08553bad2ee9a9ad70d594f536e3c584ee6ed5df50", "bank-additional.zip"));
    /** bank/bank-additional-names.txt (inside the UCI archive, which fetch unpacks). */
    public static final DatasetFile BANK_ADDITIONAL_NAMES = add(inBankZip("bank-additional-names.txt",
            "10045462a4c026f858dffa159370c4270510230c1fc63c6c91ca51bba4b3df26", "bank-additional.zip"));
    /** cifar10/batches.meta.txt (inside the official archive). */
    public static final DatasetFile CIFAR10_META = add(archived("cifar10", "batches.meta.txt", SHA256,
            "558e74b5e208382e186da55784b4bac2cd52e558448e1b5800990fdb28ed8033", false, CIFAR_URL, cifarHow("batches.meta.txt")));
    /** imdb/imdb_train.csv.gz ({@code id,label,rating,text}, built from the archive's train reviews). */
    public static final DatasetFile IMDB_TRAIN = add(archived("imdb", "imdb_train.csv.gz", SHA256,
            "24f1a226d9e3b9a1b5291f47fbbc680f277e2ed6f7054deab129e2050f7bff34", false, IMDB_URL, imdbHow("train")));
    /** imdb/imdb_test.csv.gz ({@code id,label,rating,text}, built from the archive's test reviews). */
    public static final DatasetFile IMDB_TEST = add(archived("imdb", "imdb_test.csv.gz", SHA256,
            "42951db4e9f7c54b7d1f85a3f65776bf71440267987275b944a280d4fd6ac2b5", false, IMDB_URL, imdbHow("test")));
    /** imdb/README.aclImdb (the archive's own README). */
    public static final DatasetFile IMDB_README = add(archived("imdb", "README.aclImdb", SHA256,
            "a69bd3b91235c7fa1d6aadab51e257b7fa3f7b68f32b607483a72bd67f95e557", false, IMDB_URL,
            "download " + IMDB_URL + " and put aclImdb/README into imdb/ as README.aclImdb"));

    private CanonicalFiles() {}

    static {
        for (String batch : new String[] {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                "test_batch"}) {
            String md5 = cifarMd5(batch);
            add(archived("cifar10", batch + ".bin", MD5, md5, false, CIFAR_URL, cifarHow(batch + ".bin")));
            String gz = batch + ".bin.gz";
            String sha = cifarGzipSha256(batch);
            add(sha == null
                    ? archived("cifar10", gz, MD5, md5, true, CIFAR_URL, cifarHow(batch + ".bin") + " and gzip it")
                    : archived("cifar10", gz, SHA256, sha, false, CIFAR_URL, cifarHow(batch + ".bin") + " and gzip it"));
        }
    }

    /** @return every known file */
    public static List<DatasetFile> all() {
        return List.copyOf(ALL);
    }

    /**
     * @param dataset a dataset folder
     * @param name a file name
     * @return the known file of that name, if any
     */
    public static Optional<DatasetFile> find(String dataset, String name) {
        return ALL.stream().filter(f -> f.dataset().equals(dataset) && f.name().equals(name)).findFirst();
    }

    /**
     * @param dataset a dataset folder
     * @param name a file name
     * @return the known file
     * @throws IllegalArgumentException if it is not one of the canonical files
     */
    public static DatasetFile get(String dataset, String name) {
        return find(dataset, name).orElseThrow(() -> new IllegalArgumentException(
                "no canonical file " + dataset + "/" + name));
    }

    private static String cifarMd5(String batch) {
        return switch (batch) {
            case "data_batch_1" -> "5dd7e06a14cb22eb9f671a540d1b7c25";
            case "data_batch_2" -> "5ea93a67294ea407fff1d09f752e9692";
            case "data_batch_3" -> "942cd6a4bcdd0dd3c604fbe906cb4421";
            case "data_batch_4" -> "ae636b3ba5c66a11e91e8cb52e771fcb";
            case "data_batch_5" -> "53f37980c15c3d472c316c40844f3f0d";
            case "test_batch" -> "803d5f7f4d78ea53de84dbe85f74fb6d";
            default -> throw new IllegalArgumentException(batch);
        };
    }

    private static String cifarGzipSha256(String batch) {
        return switch (batch) {
            case "data_batch_1" -> "6fcee3c4b6ea120cf82b263e2e9fe932e7edf7daf530e8b8ed62c178f70910c6";
            case "data_batch_2" -> "fdda9af5bfc1ff90c0018a3c997cc37619077ae8e4e7f1238323a8259607add2";
            case "test_batch" -> "769dbbdb7f3fb0f1a165fdea73dde4ffa43f7218019984b6fd41eb85430846ac";
            default -> null;
        };
    }

    private static String cifarHow(String member) {
        return "download " + CIFAR_URL + " and extract cifar-10-batches-bin/" + member + " into cifar10/";
    }

    private static String imdbHow(String split) {
        return "download " + IMDB_URL + ", write the labelled reviews of aclImdb/" + split + "/neg and /pos as a CSV"
                + " with columns id,label,rating,text (label 0 = neg, 1 = pos; sorted by label, then id), gzip it with"
                + " gzip -n -9 and put it into imdb/ as imdb_" + split + ".csv.gz";
    }

    private static DatasetFile inBankZip(String name, String sha256, String innerZip) {
        return new DatasetFile("bank", name, SHA256, sha256, false, URI.create(BANK_URL), false,
                List.of(innerZip, name), "download " + BANK_URL + ", unzip it, unzip the " + innerZip
                        + " inside it and put " + name + " into bank/");
    }

    private static DatasetFile add(DatasetFile f) {
        ALL.add(f);
        return f;
    }

    private static DatasetFile direct(String dataset, String name, String sha256, String base) {
        URI url = URI.create(base + name);
        return new DatasetFile(dataset, name, SHA256, sha256, false, url, true, List.of(), "download it from " + url);
    }

    private static DatasetFile archived(String dataset, String name, String algorithm, String checksum,
            boolean ofContent, String archive, String howTo) {
        return new DatasetFile(dataset, name, algorithm, checksum, ofContent, URI.create(archive), false, List.of(),
                howTo);
    }
}
