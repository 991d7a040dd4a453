/**
 * Small backdoor scenarios on the embedded Fashion-MNIST subset, shared by the quickstart and the
 * patch-rule comparison: the attacker's {@link org.atpatch.examples.scenario.BackdoorVictim}, the
 * defended {@link org.atpatch.examples.scenario.BackdoorScenario}, and an oracle detector for upper
 * bounds. May import {@code data}, {@code attack} and {@code reproduce}; nothing imports it but the
 * quickstart, the generalisation suite and the out-of-domain experiment.
 */
package org.atpatch.examples.scenario;
