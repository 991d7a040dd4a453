package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The column-statistics network against a plain-Java computation of its definition
 * ({@link DetectorArchitecture}): the nine statistics of the N-scaled map, the kernel-3 convolution
 * along the columns with zeros beyond the edges, the z-score over the map's columns with its floor,
 * the MLP with its layer and position embeddings, leaky ReLU of slope 0.1. Both inference paths are
 * held to it: one-hot layers ({@code fromFeatures}, used in training) and the broadcast embeddings of
 * maps in (sample, layer) order ({@code logitsInLayerOrder}, used online).
 */
class DetectorNetworkTest {

    private static final int N = 5;
    private static final int L = 2;
    private static final int B = 3;
    private static final int F = DetectorArchitecture.STATISTICS;
    private static final int C = 3;
    private static final int H = 4;

    @Test
    void columnStatisticsNetworkMatchesAPlainComputationOfItsDefinition() {
        DetectorArchitecture arch = DetectorArchitecture.builder().optKind(DetectorArchitecture.Kind.COLUMN_STATISTICS)
                .setLayers(L).optTokens(N).optColumnChannels(C).optHiddenSize(H).optPositionEmbedding(true).build();
        Engine.getInstance().setRandomSeed(7);
        try (NDManager m = NDManager.newBaseManager()) {
            DetectorNetwork net = new DetectorNetwork(arch);
            net.initialize(m, DataType.FLOAT32, new Shape(1, N, N), new Shape(1, L));
            // The embeddings start at zero; give them values so that adding them is tested too.
            for (String name : new String[] {"layer_embedding", "position_embedding"}) {
                NDArray p = net.getParameters().get(name).getArray();
                p.addi(m.randomUniform(-1f, 1f, p.getShape()));
            }
            Random rnd = new Random(11);
            int maps = B * L;
            float[][][] a = new float[maps][N][N];
            float[] flat = new float[maps * N * N];
            float[] oneHot = new float[maps * L];
            for (int k = 0; k < maps; k++) {
                for (int i = 0; i < N; i++) {
                    double sum = 0;
                    double[] row = new double[N];
                    for (int j = 0; j < N; j++) {
                        row[j] = Math.exp(3 * rnd.nextGaussian());
                        sum += row[j];
                    }
                    for (int j = 0; j < N; j++) {
                        a[k][i][j] = (float) (row[j] / sum);
                        flat[(k * N + i) * N + j] = a[k][i][j];
                    }
                }
                oneHot[k * L + k % L] = 1f; // map k is sample k / L's layer k % L
            }
            float[] expected = new float[maps * N];
            for (int k = 0; k < maps; k++) {
                double[] logits = plainLogits(net, a[k], k % L);
                for (int j = 0; j < N; j++) {
                    expected[k * N + j] = (float) logits[j];
                }
            }
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.create(flat, new Shape(maps, N, N));
            NDArray features = net.features(ps, x, false);
            assertEquals(new Shape(maps, N, F), features.getShape());
            NDList out = net.fromFeatures(ps, features, m.create(oneHot, new Shape(maps, L)), false);
            assertEquals(new Shape(maps, N), out.get(0).getShape());
            assertEquals(new Shape(maps, N, H), out.get(1).getShape());
            assertArrayEquals(expected, out.get(0).toFloatArray(), 1e-4f, "one-hot layers");
            NDArray inOrder = net.logitsInLayerOrder(ps, features);
            assertArrayEquals(expected, inOrder.toFloatArray(), 1e-4f, "broadcast embeddings, (sample, layer) order");
        }
    }

    /** The network's logits for one map of layer {@code layer}, in doubles. */
    private static double[] plainLogits(DetectorNetwork net, float[][] map, int layer) {
        double[][] feat = statistics(map);
        float[] wc = param(net, "column_weight");
        float[] bc = param(net, "column_bias");
        double[][] h = new double[N][C];
        for (int j = 0; j < N; j++) {
            for (int c = 0; c < C; c++) {
                double v = bc[c];
                for (int side = 0; side < 3; side++) {
                    int col = j + side - 1;
                    for (int f = 0; f < F; f++) {
                        v += col < 0 || col >= N ? 0 : wc[c * 3 * F + side * F + f] * feat[col][f];
                    }
                }
                h[j][c] = leaky(v);
            }
        }
        double[][] both = new double[N][2 * C];
        for (int c = 0; c < C; c++) {
            double mu = 0;
            for (int j = 0; j < N; j++) {
                mu += h[j][c] / N;
            }
            double var = 0;
            for (int j = 0; j < N; j++) {
                var += (h[j][c] - mu) * (h[j][c] - mu) / N;
            }
            for (int j = 0; j < N; j++) {
                both[j][c] = h[j][c];
                both[j][C + c] = (h[j][c] - mu) / Math.sqrt(var + 0.1);
            }
        }
        float[] w1 = param(net, "mlp1_weight");
        float[] b1 = param(net, "mlp1_bias");
        float[] emb = param(net, "layer_embedding");
        float[] pos = param(net, "position_embedding");
        float[] w2 = param(net, "mlp2_weight");
        float[] b2 = param(net, "mlp2_bias");
        float[] wo = param(net, "out_weight");
        float[] bo = param(net, "out_bias");
        double[] logits = new double[N];
        for (int j = 0; j < N; j++) {
            double[] z = new double[H];
            for (int u = 0; u < H; u++) {
                z[u] = b1[u] + emb[layer * H + u] + pos[layer * N * H + j * H + u];
                for (int i = 0; i < 2 * C; i++) {
                    z[u] += w1[u * 2 * C + i] * both[j][i];
                }
            }
            double out = bo[0];
            for (int u = 0; u < H; u++) {
                double e = b2[u];
                for (int i = 0; i < H; i++) {
                    e += w2[u * H + i] * leaky(z[i]);
                }
                out += wo[u] * leaky(e);
            }
            logits[j] = out;
        }
        return logits;
    }

    /** Per column j: the nine statistics of N·A, in the order of {@link DetectorArchitecture}. */
    private static double[][] statistics(float[][] map) {
        double floor = 0.01;
        double[][] out = new double[N][F];
        for (int j = 0; j < N; j++) {
            double mean = 0;
            double max = 0;
            double square = 0;
            double meanLog = 0;
            double rowMax = 0;
            double sharpness = 0;
            for (int i = 0; i < N; i++) {
                double s = N * (double) map[i][j];
                mean += s / N;
                max = Math.max(max, s);
                square += s * s / N;
                meanLog += Math.log(s + floor) / N;
                double r = N * (double) map[j][i]; // the column token's own query row
                rowMax = Math.max(rowMax, r);
                sharpness += r * Math.log(r + floor) / N;
            }
            out[j] = new double[] {mean, max, Math.sqrt(Math.max(0, square - mean * mean)), N * (double) map[0][j], meanLog,
                Math.log(mean + floor), Math.log(max + floor), Math.log(rowMax + floor), sharpness};
        }
        return out;
    }

    private static float[] param(DetectorNetwork net, String name) {
        return net.getParameters().get(name).getArray().toFloatArray();
    }

    private static double leaky(double v) {
        return v >= 0 ? v : 0.1 * v;
    }
}
