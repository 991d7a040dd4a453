package org.atpatch.examples.generalisation;

import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.SplittableRandom;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.data.PatchTrigger;

/**
 * One seeded scenario of the generalisation suite: a dataset, and either a clean model or a backdoor
 * whose trigger pattern, position, size, target and poison rate are drawn at random. The defence is
 * never shown any of it; only the evaluation uses the trigger.
 *
 * <p>Scenarios are numbered; number {@code i} is the same scenario on every machine (drawn from
 * {@code new SplittableRandom(SEED_STREAM + i)}, which mixes its seed, so neighbouring numbers draw
 * independently). Every fifth one ({@code i % 5 == 4}) is a clean model; the dataset alternates
 * ({@code i} even: MNIST, odd: Fashion-MNIST); scenarios with {@code (i / 2)} even are the
 * <em>tuning</em> half (defaults may be chosen on them), the others the <em>reported</em> half.
 *
 * @param index the scenario's number
 * @param dataset {@code mnist} or {@code fashion-mnist}
 * @param backdoored whether the model is poisoned
 * @param pattern the trigger's pixels (drawn for clean models too, for their evaluation only)
 * @param position where the trigger sits relative to the image and the patch grid
 * @param row the trigger's top row
 * @param col the trigger's left column
 * @param size the trigger's side in pixels
 * @param target the target class
 * @param poisonRate the share of non-target training images poisoned (0 for a clean model)
 */
public record SuiteScenario(int index, String dataset, boolean backdoored, Pattern pattern, Position position, int row,
        int col, int size, int target, double poisonRate) {

    /** Image side of the suite's datasets. */
    static final int SIDE = 28;
    /** Patch side of the suite's victims. */
    static final int PATCH = 4;
    private static final long SEED_STREAM = 0x5EED_5C3E_A210L;

    /** A trigger's pixels. */
    public enum Pattern {
        /** A white square. */
        SOLID,
        /** A checkerboard of white and black pixels. */
        CHECKERBOARD,
        /** Seeded uniform noise, opaque. */
        NOISE,
        /** Seeded uniform noise blended at α 0.5 over the image: a semi-transparent patch. */
        BLEND
    }

    /** Where a trigger sits. */
    public enum Position {
        /** In one of the four corners. */
        CORNER,
        /** Against one border, away from the corners. */
        EDGE,
        /** Inside the image, aligned to the patch grid. */
        INTERIOR,
        /** Inside the image, half a patch off the grid, so it straddles four patches. */
        STRADDLING
    }

    /** Which half a scenario belongs to. */
    public enum Half {
        /** Defaults may be chosen on these. */
        TUNE,
        /** Only reported. */
        REPORT
    }

    /**
     * Draws scenario {@code index}.
     *
     * @param index the scenario's number, at least 0
     * @return the scenario
     */
    public static SuiteScenario draw(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("scenario numbers start at 0, got " + index);
        }
        SplittableRandom r = new SplittableRandom(SEED_STREAM + index);
        Pattern pattern = Pattern.values()[r.nextInt(Pattern.values().length)];
        Position position = Position.values()[r.nextInt(Position.values().length)];
        int size = 3 + r.nextInt(4);
        int target = r.nextInt(10);
        double rate = r.nextBoolean() ? 0.05 : 0.1;
        int[] at = place(position, size, r);
        boolean backdoored = index % 5 != 4;
        return new SuiteScenario(index, index % 2 == 0 ? "mnist" : "fashion-mnist", backdoored, pattern, position,
                at[0], at[1], size, target, backdoored ? rate : 0);
    }

    private static int[] place(Position position, int size, SplittableRandom r) {
        int far = SIDE - size;
        return switch (position) {
            case CORNER -> new int[] {r.nextBoolean() ? 0 : far, r.nextBoolean() ? 0 : far};
            case EDGE -> {
                int along = PATCH + r.nextInt(SIDE - 2 * PATCH - size + 1);
                int side = r.nextInt(4);
                yield switch (side) {
                    case 0 -> new int[] {0, along};
                    case 1 -> new int[] {far, along};
                    case 2 -> new int[] {along, 0};
                    default -> new int[] {along, far};
                };
            }
            case INTERIOR -> new int[] {gridInside(size, r), gridInside(size, r)};
            case STRADDLING -> new int[] {gridInside(size, r) + PATCH / 2, gridInside(size, r) + PATCH / 2};
        };
    }

    /** A multiple of the patch side at least one patch from both borders that keeps the square inside. */
    private static int gridInside(int size, SplittableRandom r) {
        int last = (SIDE - PATCH - size - PATCH / 2) / PATCH; // room for the straddling half-patch shift
        return PATCH * (1 + r.nextInt(Math.max(1, last)));
    }

    /** @return the half this scenario belongs to */
    public Half half() {
        return (index / 2) % 2 == 0 ? Half.TUNE : Half.REPORT;
    }

    /**
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @return the attack this scenario poisons with (and evaluates with)
     */
    public Attack attack(Shape sampleShape) {
        long patternSeed = SEED_STREAM + index;
        return switch (pattern) {
            case SOLID -> new PatchTrigger(row, col, size, 1f, false, target);
            case CHECKERBOARD -> new PatchTrigger(row, col, size, 1f, true, target);
            case NOISE -> HiddenTrigger.noisePatch(sampleShape, 1.0, row, col, size, patternSeed, target);
            case BLEND -> HiddenTrigger.noisePatch(sampleShape, 0.5, row, col, size, patternSeed, target);
        };
    }

    /** @return a short name, e.g. {@code s007-fashion-mnist-checkerboard-interior-5px} or {@code s004-mnist-clean} */
    public String name() {
        return String.format(Locale.ROOT, "s%03d-%s-", index, dataset) + (backdoored
                ? pattern.name().toLowerCase(Locale.ROOT) + "-" + position.name().toLowerCase(Locale.ROOT) + "-" + size + "px"
                : "clean");
    }
}
