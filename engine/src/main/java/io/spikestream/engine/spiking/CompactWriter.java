package io.spikestream.engine.spiking;

import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.FeedForward;
import io.spikestream.engine.model.SoftmaxBranch;
import io.spikestream.engine.model.GlaGate;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Linear;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.model.Weights;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.tensor.BF16Matrix;
import io.spikestream.engine.tensor.F16Matrix;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.Q8Matrix;
import io.spikestream.engine.tensor.SpikeWeights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Writes a W8ASpike model in SpikeStream's compact layout ({@link CompactLayout}): what the model computes
 * with, so loading the file gives the same weights bit for bit. Tensors are streamed from memory (or from
 * the mapped source) while the file is written.
 */
public final class CompactWriter {
    private CompactWriter() {
    }

    /** Writes {@code model.safetensors} of {@code model} (a spiking model) into {@code dir}. */
    public static void write(Model model, Path dir) throws IOException {
        Weights w = model.weights();
        if (!w.spiking()) {
            throw new IllegalArgumentException("the compact layout holds W8ASpike models; this model is float");
        }
        SafetensorsWriter out = new SafetensorsWriter();
        out.metadata("format", "pt").metadata(CompactLayout.METADATA_KEY, CompactLayout.METADATA_VALUE);
        matrix(out, "model.embeddings.weight", w.embeddings());
        if (w.sinks() != null) {
            matrix(out, "model.sink_embeddings", w.sinks());
        }
        for (int i = 0; i < w.layers().size(); i++) {
            String p = "model.layers." + i + ".";
            LayerWeights lw = w.layers().get(i);
            AttentionWeights a = lw.attention();
            SoftmaxBranch sa = a.softmax();
            String la = sa == null ? p + "attn." : p + "attn.la.";
            vector(out, p + "attn_norm.weight", lw.attnNorm());
            linear(out, la + "q_proj", a.q());
            vector(out, la + "q_proj.bias", a.qBias());
            linear(out, la + "k_proj", a.k());
            vector(out, la + "k_proj.bias", a.kBias());
            linear(out, la + "v_proj", a.v());
            vector(out, la + "v_proj.bias", a.vBias());
            linear(out, p + "attn.o_proj", a.o());
            if (sa != null) {
                vector(out, la + "norm.weight", a.gNorm());
                linear(out, p + "attn.sa.q_proj", sa.q());
                vector(out, p + "attn.sa.q_proj.bias", sa.qBias());
                linear(out, p + "attn.sa.k_proj", sa.k());
                vector(out, p + "attn.sa.k_proj.bias", sa.kBias());
                linear(out, p + "attn.sa.v_proj", sa.v());
                vector(out, p + "attn.sa.v_proj.bias", sa.vBias());
                vector(out, p + "attn.sa.norm.weight", sa.norm());
            }
            if (a.gate() instanceof GlaGate.Dense gate) {
                linear(out, p + "attn.gk_proj", gate.linear());
                vector(out, p + "attn.gk_proj.bias", gate.bias());
            } else if (a.gate() != null) {
                throw new IllegalArgumentException("layer " + i + " has a low-rank GLA gate; a W8ASpike model's gate is dense");
            }
            if (a.gNorm() != null && sa == null) {
                vector(out, p + "attn.g_norm.weight", a.gNorm());
            }
            vector(out, p + "mlp_norm.weight", lw.mlpNorm());
            feedForward(out, p + "mlp.", lw.ffn());
        }
        vector(out, "model.norm.weight", w.norm());
        if (w.lmHead() != w.embeddings()) {
            matrix(out, "lm_head.weight", w.lmHead());
        }
        out.write(dir.resolve(Checkpoint.SINGLE_FILE));
    }

    private static void feedForward(SafetensorsWriter out, String p, FeedForward ffn) {
        if (ffn instanceof FeedForward.MixtureOfExperts moe) {
            linear(out, p + "router", moe.router());
            for (int e = 0; e < moe.experts().size(); e++) {
                feedForward(out, p + "experts." + e + ".", moe.experts().get(e));
            }
            for (int j = 0; j < moe.shared().size(); j++) {
                feedForward(out, p + "shared_experts." + j + ".", moe.shared().get(j));
            }
            return;
        }
        FeedForward.SwiGlu sg = (FeedForward.SwiGlu) ffn;
        linear(out, p + "gate_proj", sg.gate());
        linear(out, p + "up_proj", sg.up());
        if (sg.down() instanceof Q8Matrix q8) {
            weightOnly(out, p + "down_proj", q8);
        } else {
            matrix(out, p + "down_proj.weight", sg.down());
        }
    }

    private static void linear(SafetensorsWriter out, String name, Linear linear) {
        if (!(linear instanceof SpikingLinear spiking)) {
            throw new IllegalArgumentException(name + " is not a spiking linear");
        }
        SpikeWeights sw = spiking.weight();
        long codeBytes = (long) sw.cols() * sw.outPadded();
        ByteBuffer[] pages = sw.codePages();
        out.stream(CompactLayout.codes(name), DType.I8, new long[] {sw.blocks(), sw.cols(), SpikeWeights.BLOCK}, codeBytes, channel -> {
            for (ByteBuffer page : pages) {
                SafetensorsWriter.writeFully(channel, page.duplicate().position(0).limit(page.capacity()));
            }
        });
        out.addFloats(CompactLayout.scales(name), DType.F32, new long[] {sw.groups(), sw.outPadded()}, sw.scalesByGroup());
        if (sw.exceptionCount() > 0) {
            int[][] exceptions = sw.exceptionsInCellOrder();
            out.add(CompactLayout.exceptionIndex(name), DType.I32, new long[] {exceptions[0].length}, ints(exceptions[0]));
            out.add(CompactLayout.exceptionCode(name), DType.I32, new long[] {exceptions[1].length}, ints(exceptions[1]));
        }
    }

    private static void weightOnly(SafetensorsWriter out, String name, Q8Matrix m) {
        ByteBuffer[] pages = m.codePages();
        out.stream(CompactLayout.weightCodes(name), DType.I8, new long[] {m.rows(), m.cols()}, (long) m.rows() * m.cols(), channel -> {
            for (ByteBuffer page : pages) {
                SafetensorsWriter.writeFully(channel, page.duplicate().position(0).limit(page.capacity()));
            }
        });
        out.addFloats(CompactLayout.weightScales(name), DType.F32, new long[] {m.rows(), m.cols() / m.groupSize()}, m.scales());
    }

    private static byte[] ints(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b.array();
    }

    private static void vector(SafetensorsWriter out, String name, float[] values) {
        out.addFloats(name, DType.F32, new long[] {values.length}, values);
    }

    /** A float matrix in its format, or as BF16 when it is F32 holding only bfloat16 values (lossless). */
    private static void matrix(SafetensorsWriter out, String name, Matrix m) {
        DType dtype = m.dtype() == DType.F32 && Matrix.representableInBf16(m) ? DType.BF16 : m.dtype();
        int cols = m.cols();
        long length = (long) m.rows() * cols * dtype.bytes();
        out.stream(name, dtype, new long[] {m.rows(), cols}, length, channel -> {
            float[] row = new float[cols];
            ByteBuffer bytes = ByteBuffer.allocate(cols * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < m.rows(); r++) {
                m.widenRow(r, row, 0);
                bytes.clear();
                for (float v : row) {
                    switch (dtype) {
                        case F32 -> bytes.putFloat(v);
                        case BF16 -> bytes.putShort(BF16Matrix.encode(v));
                        case F16 -> bytes.putShort(F16Matrix.encodeHalf(v));
                        default -> throw new IllegalStateException("not a float weight format: " + dtype);
                    }
                }
                bytes.flip();
                SafetensorsWriter.writeFully(channel, bytes);
            }
        });
    }
}
