/**
 * The three backdoor attacks of the evaluation (paper §4.1.4) behind one {@link
 * org.atpatch.examples.attack.Attack} interface: BadNets ({@link
 * org.atpatch.examples.data.PatchTrigger}), the Hidden attack as a low-contrast blended pattern
 * ({@link org.atpatch.examples.attack.HiddenTrigger}) and the Trojaning attack, a patch whose
 * pattern is optimised on the clean model to excite chosen hidden units ({@link
 * org.atpatch.examples.attack.TrojanTrigger}).
 */
package org.atpatch.examples.attack;
