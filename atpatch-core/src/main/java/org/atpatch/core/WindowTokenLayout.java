package org.atpatch.core;

/**
 * Token layout of a windowed-attention map (Swin): the map of one {@code window × window} window,
 * whose column {@code j} is the token at row {@code j / window}, column {@code j % window} inside
 * that window. Which image region a column stands for depends on the window and the layer (windows
 * move with the shift and grow with patch merging); the model family maps them. No column is
 * special.
 *
 * @param window the window side in tokens
 */
public record WindowTokenLayout(int window) implements TokenLayout {

    /** Validates the side. */
    public WindowTokenLayout {
        if (window <= 0) {
            throw new IllegalArgumentException("window side must be positive, got " + window);
        }
    }

    @Override
    public int size() {
        return window * window;
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return false;
    }

    @Override
    public String describe(int column) {
        check(column);
        return "window position r" + (column / window) + " c" + (column % window);
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
