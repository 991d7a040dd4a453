/**
 * The backdoor attacks of the evaluation (paper §4.1.4) behind one {@link
 * org.atpatch.examples.attack.Attack} interface: BadNets ({@link
 * org.atpatch.examples.data.PatchTrigger}), the Hidden attack as a low-contrast blended pattern
 * ({@link org.atpatch.examples.attack.HiddenTrigger}), the clean-label Hidden of Saha et al. (a
 * semi-transparent patch at a random place, poisons crafted by feature collision: {@link
 * org.atpatch.examples.attack.CleanLabelHiddenTrigger}) and the Trojaning attack, a patch whose
 * pattern is optimised on the clean model to excite chosen hidden units ({@link
 * org.atpatch.examples.attack.TrojanTrigger}); the adaptive attacker's evasive trigger ({@link
 * org.atpatch.examples.attack.EvasiveTrigger}); BadNL's word trigger for text ({@link
 * org.atpatch.examples.attack.BadNlWordTrigger}).
 */
package org.atpatch.examples.attack;
