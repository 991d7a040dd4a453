/**
 * The paper's out-of-domain experiment (§5.2): {@link org.atpatch.examples.ood.OutOfDomain} applies the
 * detector trained on one dataset's victim to another dataset's victim of the same architecture. May
 * import {@code data}, {@code reproduce} and {@code scenario}; nothing imports it.
 */
package org.atpatch.examples.ood;
