package io.spikestream.engine.spiking;

/**
 * SpikeStream's on-disk layout of a W8ASpike checkpoint (written by {@code quantize}, memory-mapped on load):
 * the published layout's tensors, except that every spiking linear {@code <name>} (e.g.
 * {@code model.layers.0.attn.q_proj}) is stored as its codes instead of float weights:
 * <pre>
 *   &lt;name&gt;.spike_codes            I8  [outPadded / 64, in, 64]  codes in blocks of 64 outputs, input-major inside a
 *                                                      block, outputs padded to a multiple of 64
 *   &lt;name&gt;.spike_scales           F32 [in / G, outPadded]
 *   &lt;name&gt;.spike_exception_index  I32 [n]               i · outPadded + o of every code outside int8 (optional),
 *                                                      ordered by group (i / G), block (o / 64), then position
 *   &lt;name&gt;.spike_exception_code   I32 [n]               those codes (the I8 plane holds them clamped)
 * </pre>
 * A down_proj quantized weight-only (post-training quantization; its input stays float) is stored as
 * <pre>
 *   &lt;name&gt;.weight_codes   I8  [out, in]        codes in [−127, 127], the weight is code · scale
 *   &lt;name&gt;.weight_scales  F32 [out, in / G]
 * </pre>
 * Other float tensors keep their names; F32 tensors whose values are all exactly bfloat16 are stored as BF16
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

    public static String weightCodes(String linear) {
        return linear + ".weight_codes";
    }

    public static String weightScales(String linear) {
        return linear + ".weight_scales";
    }

    /** The published layout's scales of a quantized linear. */
    public static String publishedScales(String linear) {
        return linear + ".weight_quantizer.scales";
    }
}
