package org.atpatch.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * Downloads the downloadable canonical files of the named datasets into the data directory
 * (checksums verified before each file is moved into place; files already present and verified are
 * not downloaded again). The only program that touches the network; loaders never download. Exits 1
 * with the reason on the first failure.
 */
@Command(name = "fetch-datasets", mixinStandardHelpOptions = true,
        description = "Download canonical dataset files into the data directory (explicit, never implicit).")
public final class FetchDatasets implements Callable<Integer> {

    @Option(names = "--data", description = "data directory (default: -D" + DataDirectory.PROPERTY + ", $"
            + DataDirectory.ENV + ", ~/.atpatch/data)")
    private Path data;

    @Parameters(arity = "1..*", description = "datasets: mnist, fashion-mnist, adult, compas, bank (unpacked from the UCI"
            + " zip); cifar10 comes in a tar.gz to unpack by hand, and the error says what to extract")
    private List<String> datasets;

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new FetchDatasets()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() {
        DataDirectory dir = data == null ? DataDirectory.fromEnvironment() : new DataDirectory(data);
        try {
            for (String d : datasets) {
                for (Path p : dir.fetchDataset(d)) {
                    System.out.println("ok " + p);
                }
            }
            return 0;
        } catch (IOException e) {
            System.err.println("fetch-datasets: " + e.getMessage());
            return 1;
        }
    }
}
