package io.spikestream.engine.kernels;

/**
 * Rotary position embedding, "rotate half" convention, at absolute positions.
 * Angles are computed in double from the position, so position 3,000,000 is as exact as position 3.
 */
public final class Rope {
    private final int headDim;
    private final double[] invFreq;

    public Rope(int headDim, double theta) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        this.headDim = headDim;
        this.invFreq = new double[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = StrictMath.pow(theta, -2.0 * i / headDim);
        }
    }

    /** Fills cos/sin (length headDim/2 from offset) for one position. */
    public void angles(long position, float[] cos, float[] sin, int offset) {
        for (int i = 0; i < invFreq.length; i++) {
            double a = position * invFreq[i];
            cos[offset + i] = (float) StrictMath.cos(a);
            sin[offset + i] = (float) StrictMath.sin(a);
        }
    }

    /** Rotates one head vector in place with angles from {@link #angles}. */
    public void rotate(float[] v, int vOffset, float[] cos, float[] sin, int angleOffset) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float x1 = v[vOffset + i];
            float x2 = v[vOffset + half + i];
            float c = cos[angleOffset + i];
            float s = sin[angleOffset + i];
            v[vOffset + i] = x1 * c - x2 * s;
            v[vOffset + half + i] = x2 * c + x1 * s;
        }
    }

    public int headDim() {
        return headDim;
    }
}
