package org.atpatch.examples.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.atpatch.core.TextTokenLayout;
import org.atpatch.djl.model.BertStyleEncoder;

/**
 * A word-level vocabulary and tokenizer for {@link BertStyleEncoder}, built from a training split.
 * A text is lower-cased, its HTML line breaks dropped, and cut into words: runs of letters and
 * digits with an optional apostrophe suffix ({@code don't}, {@code film's}). The vocabulary keeps
 * the {@code maxWords} most frequent words of the training texts that occur at least {@code
 * minCount} times (ties by word, so it is deterministic); ids 0-3 are the model's reserved {@code
 * [PAD]}, {@code [CLS]}, {@code [SEP]}, {@code [UNK]}, words follow from id 4 in order of frequency.
 *
 * <p>{@link #encode} gives {@code [CLS] w_1 .. w_k [SEP] [PAD] ..} of the model's length: an unknown
 * word becomes {@code [UNK]}, an empty text {@code [CLS] [SEP]}, and a text longer than {@code
 * maxLength - 2} words is truncated to its first words (counted by {@link #truncated()}, which
 * callers log).
 *
 * <p>Immutable once built, except for the truncation counter; {@link #encode} is safe to call from
 * several threads.
 */
public final class WordVocabulary {

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:'[\\p{L}]+)?");
    private static final Pattern BREAK = Pattern.compile("<br\\s*/?>", Pattern.CASE_INSENSITIVE);
    private static final List<String> RESERVED = List.of(TextTokenLayout.PAD, TextTokenLayout.CLS, TextTokenLayout.SEP,
            "[UNK]");

    private final List<String> words;
    private final int[] counts;
    private final Map<String, Integer> ids = new HashMap<>();
    private final java.util.concurrent.atomic.AtomicLong truncated = new java.util.concurrent.atomic.AtomicLong();

    private WordVocabulary(List<String> words, int[] counts) {
        this.words = List.copyOf(words);
        this.counts = counts;
        for (int i = 0; i < this.words.size(); i++) {
            ids.put(this.words.get(i), i);
        }
    }

    /**
     * @param text any text
     * @return its words, lower-cased, in order
     */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(BREAK.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" "));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * @param texts the training texts
     * @param maxWords the most words kept, positive
     * @param minCount the least number of occurrences of a kept word, positive
     * @return the vocabulary
     */
    public static WordVocabulary build(Collection<String> texts, int maxWords, int minCount) {
        if (maxWords <= 0 || minCount <= 0) {
            throw new IllegalArgumentException("max words and min count must be positive, got " + maxWords + ", " + minCount);
        }
        Map<String, Integer> freq = new HashMap<>();
        for (String t : texts) {
            for (String w : words(t)) {
                freq.merge(w, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> kept = freq.entrySet().stream().filter(e -> e.getValue() >= minCount)
                .sorted(Comparator.comparing((Map.Entry<String, Integer> e) -> -e.getValue()).thenComparing(Map.Entry::getKey))
                .limit(maxWords).toList();
        List<String> all = new ArrayList<>(RESERVED);
        int[] counts = new int[RESERVED.size() + kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            all.add(kept.get(i).getKey());
            counts[RESERVED.size() + i] = kept.get(i).getValue();
        }
        return new WordVocabulary(all, counts);
    }

    /** @return the number of ids, the four reserved ones included: the model's vocabulary size */
    public int size() {
        return words.size();
    }

    /**
     * @param word a lower-case word
     * @return its id, or {@link BertStyleEncoder#UNK} when it is not in the vocabulary
     */
    public int id(String word) {
        return ids.getOrDefault(word, BertStyleEncoder.UNK);
    }

    /**
     * @param id an id in {@code [0, size())}
     * @return its word, or the reserved token's name
     */
    public String word(int id) {
        return words.get(id);
    }

    /**
     * @param id a word's id (not reserved)
     * @return how often it occurs in the training texts
     */
    public int count(int id) {
        if (id < RESERVED.size()) {
            throw new IllegalArgumentException("id " + id + " is reserved");
        }
        return counts[id];
    }

    /**
     * @param text a text
     * @param maxLength the model's length, at least 2
     * @return {@code [maxLength]} ids: {@code [CLS]}, the first {@code maxLength - 2} words, {@code
     *     [SEP]}, padding
     */
    public float[] encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
        }
        List<String> w = words(text);
        if (w.size() > maxLength - 2) {
            truncated.incrementAndGet();
            w = w.subList(0, maxLength - 2);
        }
        float[] out = new float[maxLength];
        Arrays.fill(out, BertStyleEncoder.PAD);
        out[0] = BertStyleEncoder.CLS;
        for (int i = 0; i < w.size(); i++) {
            out[i + 1] = id(w.get(i));
        }
        out[w.size() + 1] = BertStyleEncoder.SEP;
        return out;
    }

    /** @return how many texts {@link #encode} truncated so far */
    public long truncated() {
        return truncated.get();
    }

    /**
     * @param ids one encoded text
     * @return its layout, column by column
     */
    public TextTokenLayout layout(float[] ids) {
        List<String> t = new ArrayList<>(ids.length);
        for (float id : ids) {
            t.add(word((int) id));
        }
        return TextTokenLayout.of(t);
    }
}
