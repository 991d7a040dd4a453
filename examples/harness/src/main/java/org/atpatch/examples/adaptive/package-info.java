/**
 * The paper's adaptive-attack threat (§5.4), measured: a white-box attacker who re-optimises the
 * backdoor's trigger to evade the deployed detector, against AtPatch with one detector and with an
 * ensemble of detectors of different architectures.
 */
package org.atpatch.examples.adaptive;
