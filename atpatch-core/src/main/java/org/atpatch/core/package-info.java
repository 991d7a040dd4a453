/** AtPatch core: host-side attention maps, the reference hot patch Γ, benign statistics Q and metrics. */
package org.atpatch.core;
