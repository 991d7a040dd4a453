package org.atpatch.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Opens a file inside a zip archive, possibly through zips nested in it. An entry matches a name when
 * it is that name, or ends with {@code /name} outside a {@code __MACOSX/} folder (archives made on
 * macOS put their files in a folder and add resource-fork copies).
 */
final class ZipMembers {

    private ZipMembers() {}

    /**
     * @param zip the outer archive
     * @param path entry names, outermost first: zips inside zips, then the file
     * @param name the archive's name for messages
     * @return the file's content; closing it closes every nested stream
     * @throws IOException when an entry is missing
     */
    static InputStream open(ZipFile zip, List<String> path, String name) throws IOException {
        ZipEntry first = null;
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements() && first == null; ) {
            ZipEntry z = e.nextElement();
            first = matches(z, path.get(0)) ? z : null;
        }
        if (first == null) {
            throw new IOException(name + " has no entry '" + path.get(0) + "'");
        }
        InputStream in = zip.getInputStream(first);
        for (String member : path.subList(1, path.size())) {
            ZipInputStream nested = new ZipInputStream(in);
            ZipEntry z;
            do {
                z = nested.getNextEntry();
            } while (z != null && !matches(z, member));
            if (z == null) {
                nested.close();
                throw new IOException(name + ": the archive inside it has no entry '" + member + "'");
            }
            in = nested;
        }
        return in;
    }

    private static boolean matches(ZipEntry entry, String member) {
        String n = entry.getName();
        return !entry.isDirectory() && (n.equals(member) || n.endsWith("/" + member) && !n.startsWith("__MACOSX/"));
    }
}
