/**
 * The benchmark datasets: the data directory and its checksummed canonical files, loaders for MNIST,
 * Fashion-MNIST, CIFAR-10, UCI Adult, ProPublica COMPAS and UCI Bank Marketing with their
 * preprocessing and seeded splits, the Fashion-MNIST subset embedded in this module, the BadNets
 * patch trigger, and the cache of trained victims. Nothing here downloads unless
 * {@link org.atpatch.examples.data.FetchDatasets} is run.
 */
package org.atpatch.examples.data;
