package org.atpatch.examples.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Opens a stream that may or may not be gzip: the gzip magic bytes decide. */
final class MaybeGzip {

    private static final int BUFFER = 1 << 16;

    private MaybeGzip() {}

    /**
     * @param in a raw stream
     * @return the decompressed stream when {@code in} starts with the gzip magic, else {@code in} buffered
     * @throws IOException when the gzip header is damaged
     */
    static InputStream open(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, BUFFER);
        b.mark(2);
        int b0 = b.read();
        int b1 = b.read();
        b.reset();
        return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(b, BUFFER) : b;
    }
}
