package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.util.List;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.model.VisionTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options of the diagnostics that reopen one ViT victim of the backdoor harness from its cache
 * ({@link PatchInversionScan}, {@link OnePatchDefence}): the configuration and the data settings
 * that, with the seed, make up the victim's cache key, as {@code ReproduceBackdoor} takes them.
 * A picocli mixin.
 */
public final class CachedVitOptions {

    @Mixin
    ReproduceOptions common = new ReproduceOptions();

    @Option(names = "--config", description = "a ViT configuration of the harness (default ${DEFAULT-VALUE})")
    String config = "mnist-badnets";

    @Option(names = "--train-limit", description = "as in ReproduceBackdoor (0 = all; default ${DEFAULT-VALUE})")
    int trainLimit;

    @Option(names = "--pool", description = "as in ReproduceBackdoor (default ${DEFAULT-VALUE})")
    int pool = 1000;

    @Option(names = "--eval-limit", description = "as in ReproduceBackdoor (default ${DEFAULT-VALUE})")
    int evalLimit = 2000;

    @Option(names = "--victim-epochs", description = "as in ReproduceBackdoor (default ${DEFAULT-VALUE})")
    int victimEpochs = 10;

    /**
     * A loaded victim with its data splits and patch layout. Close it to free the victim.
     *
     * @param victim the victim
     * @param splits training, pool and evaluation images
     * @param layout the ViT's patch layout
     */
    public record Loaded(ImageVictim victim, ImageSplits splits, ImagePatchLayout layout) implements AutoCloseable {
        @Override
        public void close() {
            victim.close();
        }
    }

    /** @return the shared harness options (seed, cache, detector epochs) */
    public ReproduceOptions common() {
        return common;
    }

    /**
     * Loads the data and the victim (training it if it is not cached).
     *
     * @return the victim, its splits and layout
     * @throws IOException when the data cannot be read
     * @throws IllegalArgumentException when the configuration's victim is not a ViT
     */
    public Loaded load() throws IOException {
        BackdoorConfig c = BackdoorConfig.select(List.of(config)).get(0);
        ImageSplits splits = ImageSplits.load(common.dataDirectory(), c.dataset(), trainLimit, pool, evalLimit);
        ImageVictim victim = ImageVictim.trainOrLoad(c, splits, ImageVictim.Settings.of(victimEpochs, common.seed()),
                common.cache());
        if (!(victim.block() instanceof VisionTransformer vit)) {
            victim.close();
            throw new IllegalArgumentException(config + " is not a ViT victim");
        }
        return new Loaded(victim, splits, vit.tokenLayout());
    }

    /**
     * @param layout a ViT's patch layout
     * @param column a patch column
     * @return that patch's pixels as a region
     */
    static RegionInversion.Region region(ImagePatchLayout layout, int column) {
        int[] r = layout.region(column); // top, left, bottom, right (exclusive)
        return new RegionInversion.Region(r[0], r[1], r[2] - r[0], r[3] - r[1]);
    }
}
