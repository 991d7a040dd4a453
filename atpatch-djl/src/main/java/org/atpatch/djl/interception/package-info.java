/**
 * How AtPatch sees and changes attention mid-forward: the interceptable multi-head self-attention
 * block ({@link org.atpatch.djl.interception.InterceptableSelfAttention}, the block a model must be
 * built from to be protected), the per-call hook it calls with each layer's attention map
 * ({@link org.atpatch.djl.interception.AttentionInterceptor}, installed for one forward by
 * {@link org.atpatch.djl.interception.Interception}), the token-state point in front of each layer
 * ({@link org.atpatch.djl.interception.TokenStatePoint}), finding a model's attention layers in
 * forward order ({@link org.atpatch.djl.interception.AttentionLayers}), and recording maps offline
 * ({@link org.atpatch.djl.interception.AttentionRecorder}, {@link org.atpatch.djl.interception.AttentionCapture}).
 *
 * <p>May import {@code org.atpatch.core}, {@code org.atpatch.detector} and the front door's data
 * types ({@link org.atpatch.djl.DebuggingSet}, {@link org.atpatch.djl.LabelledData}); never
 * {@code patch}.
 */
package org.atpatch.djl.interception;
