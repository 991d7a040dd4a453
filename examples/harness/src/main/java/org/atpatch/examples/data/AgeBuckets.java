package org.atpatch.examples.data;

import java.util.List;

/**
 * The buckets age is cut into when it is a protected attribute (Census-age, Bank-age), so that it is
 * one categorical token whose value can be flipped: under 25, 25–44, 45–64, and 65 or older (whole
 * years, lower bounds inclusive).
 */
public final class AgeBuckets {

    /** The bucket labels, in order; they are the protected attribute's value set A. */
    public static final List<String> LABELS = List.of("<25", "25-44", "45-64", "65+");

    private AgeBuckets() {}

    /**
     * @param age an age in years
     * @return its bucket's label
     * @throws IllegalArgumentException if age is negative or not finite
     */
    public static String bucketOf(double age) {
        if (!(age >= 0) || Double.isInfinite(age)) {
            throw new IllegalArgumentException("age must be a non-negative number of years, got " + age);
        }
        if (age < 25) {
            return LABELS.get(0);
        }
        if (age < 45) {
            return LABELS.get(1);
        }
        return age < 65 ? LABELS.get(2) : LABELS.get(3);
    }
}
