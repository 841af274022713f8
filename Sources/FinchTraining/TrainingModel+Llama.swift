import FinchTensor

/// Activations of one Llama block kept for the backward pass. Shapes with N = tokens of the micro-batch.
struct LlamaBlockActivations {
    let xin: Tensor            // (N,C) block input (residual stream)
    let rstd1: Tensor          // (N)
    let h1: Tensor             // (N,C) input_layernorm output
    var qPre: Tensor? = nil    // (N,NH,hd) q before q_norm (Qwen3)
    var kPre: Tensor? = nil    // (N,NKV,hd)
    var rstdQ: Tensor? = nil   // (N*NH)
    var rstdK: Tensor? = nil   // (N*NKV)
    let q: Tensor, k: Tensor, v: Tensor  // after norm and rope
    let att: Tensor            // saved softmax probabilities
    let attOut: Tensor         // (N,NH*hd)
    let xmid: Tensor           // (N,C) after the attention residual
    let rstd2: Tensor
    let h2: Tensor             // (N,C) post_attention_layernorm output
    let gate: Tensor, up: Tensor, act: Tensor  // (N,I)
    var saved: [TrainableLinear.Saved]
}

extension TrainingModel {
    /// Llama-family forward over a packed batch; returns the final residual stream (N,C) and the
    /// per-block activations. x0 is the embedding output.
    func llamaForward(batch: MicroBatch, x0: Tensor, cosT: Tensor, sinT: Tensor, training: Bool, rng: inout SplitMix64) -> (Tensor, [LlamaBlockActivations]) {
        let c = config
        let N = batch.tokenCount, C = c.hiddenSize, NH = c.numHeads, NKV = c.numKVHeads, hd = c.headDim, I = c.intermediateSize
        let eps = Float(c.normEps), scale = 1 / Float(hd).squareRoot()
        var x = x0
        var acts: [LlamaBlockActivations] = []
        for blk in blocks {
            let L = blk.linears
            let rstd1 = Tensor.uninitialized(shape: [N]), h1 = Tensor.uninitialized(shape: [N, C])
            rmsnormForward(out: h1.ptr, rstd: rstd1.ptr, inp: x.ptr, weight: blk.norm1.w.ptr, N: N, C: C, eps: eps)
            let q = Tensor.uninitialized(shape: [N, NH, hd]), k = Tensor.uninitialized(shape: [N, NKV, hd])
            let v = Tensor.uninitialized(shape: [N, NKV, hd])
            var saved = [L[0].forward(out: q, inp: h1, N: N, train: training, rng: &rng),
                         L[1].forward(out: k, inp: h1, N: N, train: training, rng: &rng),
                         L[2].forward(out: v, inp: h1, N: N, train: training, rng: &rng)]
            var qPre: Tensor?, kPre: Tensor?, rstdQ: Tensor?, rstdK: Tensor?
            if let qn = blk.qNorm, let kn = blk.kNorm {
                qPre = q.copy()
                kPre = k.copy()
                rstdQ = Tensor(shape: [N * NH])
                rstdK = Tensor(shape: [N * NKV])
                rmsnormForward(out: q.ptr, rstd: rstdQ!.ptr, inp: qPre!.ptr, weight: qn.w.ptr, N: N * NH, C: hd, eps: eps)
                rmsnormForward(out: k.ptr, rstd: rstdK!.ptr, inp: kPre!.ptr, weight: kn.w.ptr, N: N * NKV, C: hd, eps: eps)
            }
            ropeForward(x: q.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: N, NH: NH, hd: hd)
            ropeForward(x: k.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: N, NH: NKV, hd: hd)
            let att = Tensor.uninitialized(shape: [attentionVarlenProbCount(cuSeqlens: batch.cuSeqlens, NH: NH)])
            let attOut = Tensor.uninitialized(shape: [N, NH * hd])
            attentionVarlenForward(out: attOut.ptr, att: att.ptr, q: q.ptr, k: k.ptr, v: v.ptr, cuSeqlens: batch.cuSeqlens,
                                   NH: NH, NKV: NKV, hd: hd, scale: scale)
            let o = Tensor.uninitialized(shape: [N, C])
            saved.append(L[3].forward(out: o, inp: attOut, N: N, train: training, rng: &rng))
            let xmid = Tensor.uninitialized(shape: [N, C])
            residualForward(out: xmid.ptr, a: x.ptr, b: o.ptr, N: N * C)
            let rstd2 = Tensor.uninitialized(shape: [N]), h2 = Tensor.uninitialized(shape: [N, C])
            rmsnormForward(out: h2.ptr, rstd: rstd2.ptr, inp: xmid.ptr, weight: blk.norm2.w.ptr, N: N, C: C, eps: eps)
            let gate = Tensor.uninitialized(shape: [N, I]), up = Tensor.uninitialized(shape: [N, I])
            let act = Tensor.uninitialized(shape: [N, I])
            saved.append(L[4].forward(out: gate, inp: h2, N: N, train: training, rng: &rng))
            saved.append(L[5].forward(out: up, inp: h2, N: N, train: training, rng: &rng))
            swigluForward(out: act.ptr, gate: gate.ptr, up: up.ptr, N: N * I)
            let down = Tensor.uninitialized(shape: [N, C])
            saved.append(L[6].forward(out: down, inp: act, N: N, train: training, rng: &rng))
            let xout = Tensor.uninitialized(shape: [N, C])
            residualForward(out: xout.ptr, a: xmid.ptr, b: down.ptr, N: N * C)
            acts.append(LlamaBlockActivations(
                xin: x, rstd1: rstd1, h1: h1, qPre: qPre, kPre: kPre, rstdQ: rstdQ, rstdK: rstdK, q: q, k: k, v: v,
                att: att, attOut: attOut, xmid: xmid, rstd2: rstd2, h2: h2, gate: gate, up: up, act: act, saved: saved))
            x = xout
        }
        return (x, acts)
    }

    /// Backward through the Llama blocks. dx: (N,C) holds dLoss/d(final residual) and is turned, in place,
    /// into dLoss/d(embedding output).
    func llamaBackward(batch: MicroBatch, dx: Tensor, acts: [LlamaBlockActivations], cosT: Tensor, sinT: Tensor) {
        let c = config
        let N = batch.tokenCount, C = c.hiddenSize, NH = c.numHeads, NKV = c.numKVHeads, hd = c.headDim, I = c.intermediateSize
        let scale = 1 / Float(hd).squareRoot()
        let dact = Tensor.uninitialized(shape: [N, I]), dgate = Tensor.uninitialized(shape: [N, I])
        let dup = Tensor.uninitialized(shape: [N, I])
        let dh = Tensor.uninitialized(shape: [N, C]), dattOut = Tensor.uninitialized(shape: [N, NH * hd])
        let dq = Tensor(shape: [N, NH, hd]), dk = Tensor(shape: [N, NKV, hd]), dv = Tensor(shape: [N, NKV, hd])
        for (blk, a) in zip(blocks, acts).reversed() {
            let L = blk.linears
            // MLP: x = xmid + down(swiglu(gate(h2), up(h2)))
            // the first writer of each gradient buffer overwrites it, the others add
            L[6].backward(dinp: dact, dout: dx, inp: a.act, saved: a.saved[6], N: N, overwrite: true)
            swigluBackward(dgate: dgate.ptr, dup: dup.ptr, dout: dact.ptr, gate: a.gate.ptr, up: a.up.ptr, N: N * I,
                           accumulate: false)
            L[4].backward(dinp: dh, dout: dgate, inp: a.h2, saved: a.saved[4], N: N, overwrite: true)
            L[5].backward(dinp: dh, dout: dup, inp: a.h2, saved: a.saved[5], N: N)
            rmsnormBackward(dinp: dx.ptr, dweight: blk.norm2.dw?.ptr, dout: dh.ptr, inp: a.xmid.ptr, weight: blk.norm2.w.ptr,
                            rstd: a.rstd2.ptr, N: N, C: C)
            // attention: xmid = xin + o(attn(q, k, v))
            L[3].backward(dinp: dattOut, dout: dx, inp: a.attOut, saved: a.saved[3], N: N, overwrite: true)
            dq.zeroGrad()
            dk.zeroGrad()
            dv.zeroGrad()
            attentionVarlenBackward(dq: dq.ptr, dk: dk.ptr, dv: dv.ptr, dout: dattOut.ptr, q: a.q.ptr, k: a.k.ptr, v: a.v.ptr,
                                    att: a.att.ptr, cuSeqlens: batch.cuSeqlens, NH: NH, NKV: NKV, hd: hd, scale: scale)
            ropeBackward(dx: dq.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: N, NH: NH, hd: hd)
            ropeBackward(dx: dk.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: N, NH: NKV, hd: hd)
            var dqIn = dq, dkIn = dk
            if let qn = blk.qNorm, let kn = blk.kNorm, let qPre = a.qPre, let kPre = a.kPre {
                dqIn = Tensor(shape: dq.shape)
                dkIn = Tensor(shape: dk.shape)
                rmsnormBackward(dinp: dqIn.ptr, dweight: qn.dw?.ptr, dout: dq.ptr, inp: qPre.ptr, weight: qn.w.ptr,
                                rstd: a.rstdQ!.ptr, N: N * NH, C: hd)
                rmsnormBackward(dinp: dkIn.ptr, dweight: kn.dw?.ptr, dout: dk.ptr, inp: kPre.ptr, weight: kn.w.ptr,
                                rstd: a.rstdK!.ptr, N: N * NKV, C: hd)
            }
            L[0].backward(dinp: dh, dout: dqIn, inp: a.h1, saved: a.saved[0], N: N, overwrite: true)
            L[1].backward(dinp: dh, dout: dkIn, inp: a.h1, saved: a.saved[1], N: N)
            L[2].backward(dinp: dh, dout: dv, inp: a.h1, saved: a.saved[2], N: N)
            rmsnormBackward(dinp: dx.ptr, dweight: blk.norm1.dw?.ptr, dout: dh.ptr, inp: a.xin.ptr, weight: blk.norm1.w.ptr,
                            rstd: a.rstd1.ptr, N: N, C: C)
        }
    }
}
