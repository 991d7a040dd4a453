/**
 * Patched batch inference on Apache Spark: {@link org.atpatch.spark.PatchedScorer} scores a {@code
 * Dataset<Row>} through a {@link org.atpatch.djl.PatchedModel} and adds the prediction and the patch
 * report as columns ({@link org.atpatch.spark.ScoredColumns}).
 *
 * <p>Each JVM (the driver, which checks the files before any partition is scored, and every
 * executor) builds the victim with the application's {@link org.atpatch.spark.ModelFactory}, reads
 * its weights ({@link org.atpatch.spark.ModelWeights}) and the patch bundle once from paths that
 * Hadoop's file systems can read (local, HDFS, object storage), and keeps them for the JVM's life.
 * Partitions are scored in batches on the model's device.
 *
 * <p>Spark is a {@code provided} dependency of this module: the cluster brings it. May import
 * {@code org.atpatch.djl} (its front door and {@code interception} for the model's input shape),
 * DJL, Spark and Hadoop's client API.
 */
package org.atpatch.spark;
