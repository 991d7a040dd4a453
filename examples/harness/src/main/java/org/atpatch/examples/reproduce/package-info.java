/**
 * The reproduction harnesses of the paper's Tables 2, 3 and 4 and RQ3:
 * {@link org.atpatch.examples.reproduce.ReproduceBackdoor} (image configurations) and
 * {@link org.atpatch.examples.reproduce.ReproduceFairness} (tabular configurations), their victims,
 * experiments, ablations and reports (CSV, JSON, markdown, PNG charts). Commands and current results:
 * docs/reproduce.md.
 */
package org.atpatch.examples.reproduce;
