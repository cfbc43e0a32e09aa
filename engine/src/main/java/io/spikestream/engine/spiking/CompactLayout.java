package io.spikestream.engine.spiking;

/**
 * SpikeStream's on-disk layout of a W8ASpike checkpoint (written by {@code quantize}, memory-mapped on load):
 * the published layout's tensors, except that every spiking linear {@code <name>} (e.g.
 * {@code model.layers.0.attn.q_proj}) is stored as its codes instead of float weights:
 * <pre>
 *   &lt;name&gt;.spike_codes            I8  [in, outPadded]   codes, input-major, outputs padded to a multiple of 16
 *   &lt;name&gt;.spike_scales           F32 [in / G, outPadded]
 *   &lt;name&gt;.spike_exception_index  I32 [n]               i · outPadded + o of every code outside int8 (optional)
 *   &lt;name&gt;.spike_exception_code   I32 [n]               those codes (the I8 plane holds them clamped)
 * </pre>
 * Float tensors keep their names; F32 tensors whose values are all exactly bfloat16 are stored as BF16
 * (lossless). The safetensors metadata carries {@value #METADATA_KEY} = {@value #METADATA_VALUE}.
 */
public final class CompactLayout {
    public static final String METADATA_KEY = "spikestream.layout";
    public static final String METADATA_VALUE = "w8aspike-compact/1";

    private CompactLayout() {
    }

    public static String codes(String linear) {
        return linear + ".spike_codes";
    }

    public static String scales(String linear) {
        return linear + ".spike_scales";
    }

    public static String exceptionIndex(String linear) {
        return linear + ".spike_exception_index";
    }

    public static String exceptionCode(String linear) {
        return linear + ".spike_exception_code";
    }

    /** The published layout's scales of a quantized linear. */
    public static String publishedScales(String linear) {
        return linear + ".weight_quantizer.scales";
    }
}
