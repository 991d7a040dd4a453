package org.atpatch.examples.reproduce;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.CleanLabelHiddenTrigger;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.attack.TrojanOptions;
import org.atpatch.examples.data.PatchTrigger;

/**
 * One backdoor configuration of Table 2: an image benchmark and an attack. The attack's target class
 * is drawn with {@link Attack#drawTarget(long, int)} from the experiment seed, as the paper draws it
 * at random.
 *
 * <p>Triggers: BadNets is a 4 × 4 checkerboard (1 and 0) flush with the bottom-right corner; Hidden
 * is a uniform-noise pattern blended over the whole image with α = 0.2 ({@link HiddenTrigger}); the
 * Trojan patch is 4 × 4 at the bottom-right, its pattern optimised on the clean victim
 * ({@link ImageVictim} does the search and the fine-tuning).
 *
 * <p>Besides Table 2's nine, {@link #VARIANTS} holds {@code hidden-patch} for each dataset: Hidden's
 * faint α = 0.2 noise blended over a 4 × 4 square at the top-left corner only ({@link
 * HiddenTrigger#noisePatch}), the patch-shaped reading of the paper's Hidden (its reference, Saha et
 * al., uses patch triggers). They are chosen by name or by {@code hidden-patch}, never by {@code
 * all} or a dataset's name.
 *
 * @param name the paper's name, e.g. {@code mnist-badnets}
 * @param dataset {@code mnist}, {@code fashion-mnist} or {@code cifar10}
 * @param attack {@code badnets}, {@code trojan}, {@code hidden}, {@code hidden-patch} or {@code hidden-clean-label}
 */
public record BackdoorConfig(String name, String dataset, String attack) {

    /** Side of the BadNets and Trojan patches, in pixels. */
    public static final int PATCH = 4;

    /** The nine configurations of Table 2, in its order. */
    public static final List<BackdoorConfig> ALL = all();

    /**
     * Beside Table 2, for each dataset: the patch-shaped Hidden (a blended square at a fixed place,
     * dirty-label) and the clean-label Hidden of Saha et al. ({@link CleanLabelHiddenTrigger}).
     */
    public static final List<BackdoorConfig> VARIANTS = variants();

    private static List<BackdoorConfig> variants() {
        List<BackdoorConfig> out = new ArrayList<>();
        for (String a : List.of("hidden-patch", "hidden-clean-label")) {
            for (String d : List.of("mnist", "fashion-mnist", "cifar10")) {
                out.add(new BackdoorConfig(d + "-" + a, d, a));
            }
        }
        return List.copyOf(out);
    }

    private static List<BackdoorConfig> all() {
        List<BackdoorConfig> out = new ArrayList<>();
        for (String d : List.of("mnist", "fashion-mnist", "cifar10")) {
            for (String a : List.of("badnets", "trojan", "hidden")) {
                out.add(new BackdoorConfig(d + "-" + a, d, a));
            }
        }
        return List.copyOf(out);
    }

    /**
     * @param names configuration names, {@code all}, or a dataset or attack name standing for its three
     *     configurations of Table 2 (e.g. {@code mnist} or {@code trojan}); {@code hidden-patch} or a
     *     variant's own name for the {@link #VARIANTS}
     * @return the configurations, in Table 2's order and then the variants', each once
     * @throws IllegalArgumentException naming an unknown name and the known ones
     */
    public static List<BackdoorConfig> select(List<String> names) {
        List<String> known = java.util.stream.Stream.concat(ALL.stream(), VARIANTS.stream()).map(BackdoorConfig::name)
                .toList();
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException("no configuration named; known: all, " + known);
        }
        for (String n : names) {
            if (!n.equals("all") && ALL.stream().noneMatch(c -> c.matches(n)) && VARIANTS.stream().noneMatch(c -> c.matches(n))) {
                throw new IllegalArgumentException("unknown configuration '" + n + "'; known: all, a dataset (mnist, "
                        + "fashion-mnist, cifar10), an attack (badnets, trojan, hidden, hidden-patch, hidden-clean-label) or one of "
                        + known);
            }
        }
        List<BackdoorConfig> out = new ArrayList<>(
                ALL.stream().filter(c -> names.contains("all") || names.stream().anyMatch(c::matches)).toList());
        out.addAll(VARIANTS.stream().filter(c -> names.stream().anyMatch(c::matches)).toList());
        return List.copyOf(out);
    }

    private boolean matches(String n) {
        // A dataset's name stands for its three configurations of Table 2, not for the variants.
        return name.equals(n) || attack.equals(n) || (dataset.equals(n) && !VARIANTS.contains(this));
    }

    /**
     * @param seed the experiment seed
     * @return the attack's target class
     */
    public int target(long seed) {
        return Attack.drawTarget(seed, 10);
    }

    /**
     * The attack of a configuration whose trigger does not depend on the victim.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param seed the experiment seed (target class and Hidden's noise)
     * @return BadNets, Hidden, the patch-shaped Hidden or the clean-label Hidden (whose poisons are crafted on the
     *     clean model: see {@link #isCleanLabel})
     * @throws IllegalStateException for Trojan, whose trigger is optimised on the clean victim (see {@link #trojanOptions})
     */
    public Attack fixedAttack(Shape sampleShape, long seed) {
        return fixedAttack(sampleShape, seed, HiddenTrigger.DEFAULT_ALPHA);
    }

    /**
     * The attack of a configuration whose trigger does not depend on the victim, with Hidden's
     * blending ratio given.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param seed the experiment seed (target class and Hidden's noise)
     * @param hiddenAlpha α of Hidden and the patch-shaped Hidden, in {@code (0, 1]}; BadNets ignores it
     * @return BadNets, Hidden, the patch-shaped Hidden or the clean-label Hidden (whose poisons are crafted on the
     *     clean model: see {@link #isCleanLabel})
     * @throws IllegalStateException for Trojan, whose trigger is optimised on the clean victim (see {@link #trojanOptions})
     */
    public Attack fixedAttack(Shape sampleShape, long seed, double hiddenAlpha) {
        int side = (int) sampleShape.get(2);
        return switch (attack) {
            case "badnets" -> new PatchTrigger(side - PATCH, side - PATCH, PATCH, 1f, true, target(seed));
            case "hidden" -> HiddenTrigger.noise(sampleShape, hiddenAlpha, seed, target(seed));
            case "hidden-patch" -> HiddenTrigger.noisePatch(sampleShape, hiddenAlpha, 0, 0, PATCH, seed, target(seed));
            case "hidden-clean-label" -> CleanLabelHiddenTrigger.noise(sampleShape, PATCH, hiddenAlpha, seed, target(seed));
            default -> throw new IllegalStateException(name + ": the Trojan trigger is optimised on the clean victim; "
                    + "use trojanOptions");
        };
    }

    /**
     * @param seed the experiment seed
     * @return the Trojan search settings: a {@value #PATCH} × {@value #PATCH} patch at the bottom-right,
     *     the target class, otherwise {@link TrojanOptions}' defaults
     */
    public TrojanOptions trojanOptions(long seed) {
        return TrojanOptions.builder().setTarget(target(seed)).optSize(PATCH).optSeed(seed).build();
    }

    /** @return whether the attack is the clean-label Hidden (clean training, poison crafting, fine-tuning) */
    public boolean isCleanLabel() {
        return attack.equals("hidden-clean-label");
    }

    /** @return whether the attack is Trojan (clean training, trigger search, fine-tuning) */
    public boolean isTrojan() {
        return attack.equals("trojan");
    }
}
