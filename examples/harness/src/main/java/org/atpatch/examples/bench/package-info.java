/**
 * Benchmarks of the patched model, not tests (docs/architecture.md, "Design decisions": performance
 * budget; results and commands in {@code docs/performance.md}):
 *
 * <ul>
 *   <li>{@link org.atpatch.examples.bench.PatchOverheadBenchmark}, the JMH benchmark of patching
 *       overhead against the unpatched forward, run by {@link org.atpatch.examples.bench.PatchOverheadRunner},
 *       which prints the ratio table;
 *   <li>{@link org.atpatch.examples.bench.PairedOverhead}, the same variants timed in interleaved
 *       rounds in one JVM (wall and CPU time), for a shared, noisy machine;
 *   <li>{@link org.atpatch.examples.bench.PatchProfile}, exact ATen op counts and native time per
 *       call from PyTorch's profiler;
 *   <li>{@link org.atpatch.examples.bench.PatchSoak}, RSS over 10,000 patched predict calls.
 * </ul>
 *
 * {@link org.atpatch.examples.bench.DetectorCost} times the trained detector against the ViT it guards.
 * {@code ScopedRule} is a diagnostic wrapper, not a shipped rule.
 */
package org.atpatch.examples.bench;
