/**
 * AtPatch on Spark in an embedded {@code local[*]}: {@link org.atpatch.examples.spark.SparkScoringExample}
 * (the README's example: a backdoored victim scored through its patch bundle) and {@link
 * org.atpatch.examples.spark.SparkThroughput} (rows per second against a plain loop). Both use
 * {@link org.atpatch.examples.spark.PlantedVictim}, whose files they write once.
 */
package org.atpatch.examples.spark;
