package org.atpatch.djl.weights;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.JsonUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads the tensors of a PyTorch state dict exported as Hugging Face {@code .safetensors}, NumPy
 * {@code .npz} (one {@code .npy} entry per tensor, as {@code numpy.savez(**state_dict)} writes) or a
 * single {@code .npy} (named by its file stem). NumPy decoding is DJL's ({@link NDList#decode(NDManager,
 * InputStream)}, entry by entry so that an error names the tensor); safetensors are read here (see
 * below). Every float16, bfloat16 and float64 tensor becomes float32; any other dtype is an error
 * naming the tensor.
 *
 * <p>Stateless; safe to call from several threads with different managers.
 */
public final class TensorFile {

    /** Safetensors dtypes read, with their byte widths. */
    private static final Map<String, Integer> SAFETENSORS_DTYPES = Map.of("F32", 4, "F16", 2, "BF16", 2, "F64", 8);
    private static final Set<DataType> FLOATS = Set.of(DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16, DataType.FLOAT64);
    private static final long MAX_HEADER = 100L << 20;

    private TensorFile() {}

    /**
     * @param manager where the arrays go (attached to it; closing it frees them)
     * @param file a {@code .safetensors}, {@code .npz} or {@code .npy} file
     * @return every tensor of the file as float32, by its name in the file, in file order
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException when it cannot be read
     * @throws MalformedModelException when it is not a valid file of its format, or a tensor has a
     *     dtype other than float32/16, bfloat16 and float64 (the message names the tensor)
     */
    public static Map<String, NDArray> read(NDManager manager, Path file) throws IOException, MalformedModelException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no weight file there");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return readSafetensors(manager, file);
        }
        if (name.endsWith(".npz")) {
            return readNpz(manager, file);
        }
        if (name.endsWith(".npy")) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            String stem = file.getFileName().toString().replaceFirst("(?i)\\.npy$", "");
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                out.put(stem, decodeOne(manager, in, stem, file));
            }
            return out;
        }
        throw new MalformedModelException(file + ": unknown weight format; expected .safetensors, .npz or .npy");
    }

    /**
     * Reads a safetensors file: an unsigned 64-bit little-endian header length, a JSON header naming
     * each tensor's dtype, shape and byte range, then the data. The header is validated entry by entry
     * (known dtype, a byte range that matches the shape and lies inside the data) before any tensor is
     * created, so a bad file is reported by tensor name. DJL's own decoder is not used here: the
     * PyTorch engine of DJL 0.33 crashes the JVM when it creates a bfloat16 array from a buffer, so
     * bfloat16 is widened to float32 on the host (its bits are a float's upper half).
     */
    private static Map<String, NDArray> readSafetensors(NDManager manager, Path file)
            throws IOException, MalformedModelException {
        long size = Files.size(file);
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (size < 8) {
                throw new MalformedModelException(file + ": too short for a safetensors file (" + size + " bytes)");
            }
            long headerLength = read(channel, 0, 8).getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
                throw new MalformedModelException(file + ": safetensors header length " + headerLength
                        + " does not fit the file's " + size + " bytes");
            }
            ByteBuffer text = read(channel, 8, (int) headerLength);
            JsonObject header;
            try {
                header = JsonUtils.GSON.fromJson(StandardCharsets.UTF_8.decode(text).toString(), JsonObject.class);
            } catch (JsonParseException e) {
                throw new MalformedModelException(file + ": the safetensors header is not JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (!"__metadata__".equals(e.getKey())) {
                    entries.add(entry(file, e.getKey(), e.getValue(), size - dataStart));
                }
            }
            for (Entry e : entries) {
                ByteBuffer bytes = read(channel, dataStart + e.begin, Math.toIntExact(e.end - e.begin));
                out.put(e.name, create(manager, e, bytes));
            }
        }
        return out;
    }

    private static NDArray create(NDManager manager, Entry e, ByteBuffer bytes) {
        NDArray a;
        if ("BF16".equals(e.dtype)) {
            float[] values = new float[bytes.remaining() / 2];
            for (int i = 0; i < values.length; i++) {
                values[i] = Float.intBitsToFloat((bytes.getShort() & 0xFFFF) << 16);
            }
            a = manager.create(values, e.shape);
        } else {
            NDArray raw = manager.create(bytes, e.shape, DataType.fromSafetensors(e.dtype));
            a = raw.getDataType() == DataType.FLOAT32 ? raw : raw.toType(DataType.FLOAT32, false);
            if (a != raw) {
                raw.close();
            }
        }
        a.setName(e.name);
        return a;
    }

    private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) {
                throw new EOFException("the file ends at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    /** One tensor of a safetensors header, checked against the data it claims. */
    private record Entry(String name, String dtype, Shape shape, long begin, long end) {}

    private static Entry entry(Path file, String tensor, JsonElement json, long data) throws MalformedModelException {
        String where = file + ": tensor '" + tensor + "'";
        try {
            JsonObject o = json.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            Integer bytes = SAFETENSORS_DTYPES.get(dtype);
            if (bytes == null) {
                throw new MalformedModelException(where + " has dtype " + dtype + "; only F32, F16, BF16 and F64 are read");
            }
            JsonArray dims = o.getAsJsonArray("shape");
            long[] shape = new long[dims.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
                elements = Math.multiplyExact(elements, shape[i]);
            }
            long begin = o.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = o.getAsJsonArray("data_offsets").get(1).getAsLong();
            if (begin < 0 || end > data || end - begin != elements * bytes) {
                throw new MalformedModelException(where + " claims bytes [" + begin + ", " + end + ") for " + elements
                        + " " + dtype + " values; the file holds " + data + " bytes of data (truncated or corrupt?)");
            }
            return new Entry(tensor, dtype, new Shape(shape), begin, end);
        } catch (IllegalStateException | NullPointerException | UnsupportedOperationException | ArithmeticException
                | IndexOutOfBoundsException e) {
            throw new MalformedModelException(where + " has a malformed header entry " + json, e);
        }
    }

    private static Map<String, NDArray> readNpz(NDManager manager, Path file) throws IOException, MalformedModelException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String tensor = entry.getName().replaceFirst("\\.npy$", "");
                out.put(tensor, decodeOne(manager, zip, tensor, file));
            }
        }
        if (out.isEmpty()) {
            throw new MalformedModelException(file + ": not an .npz archive, or an empty one");
        }
        return out;
    }

    private static NDArray decodeOne(NDManager manager, InputStream in, String tensor, Path file)
            throws MalformedModelException {
        NDArray a;
        try {
            a = NDList.decode(manager, in).singletonOrThrow();
        } catch (RuntimeException e) {
            throw new MalformedModelException(file + ": tensor '" + tensor + "' cannot be read as .npy: " + e.getMessage(), e);
        }
        a.setName(tensor);
        return toFloat32(a, tensor, file);
    }

    private static NDArray toFloat32(NDArray a, String tensor, Path file) throws MalformedModelException {
        if (!FLOATS.contains(a.getDataType())) {
            throw new MalformedModelException(file + ": tensor '" + tensor + "' has dtype " + a.getDataType()
                    + "; only float32, float16, bfloat16 and float64 weights are read");
        }
        if (a.getDataType() == DataType.FLOAT32) {
            return a;
        }
        NDArray f = a.toType(DataType.FLOAT32, false);
        f.setName(tensor);
        a.close();
        return f;
    }
}
