import FinchTensor

/// Activations of one GPT-2 block kept for the backward pass (N tokens).
struct GPT2BlockActivations {
    let xin: Tensor               // (N,C)
    let mean1: Tensor, rstd1: Tensor
    let h1: Tensor                // (N,C) ln_1 output
    let q: Tensor, k: Tensor, v: Tensor  // (N,NH,hd) split from c_attn's (N,3C)
    let att: Tensor
    let attOut: Tensor            // (N,C)
    let xmid: Tensor
    let mean2: Tensor, rstd2: Tensor
    let h2: Tensor                // (N,C) ln_2 output
    let fc: Tensor                // (N,I) before GELU
    let act: Tensor               // (N,I) after GELU
    var saved: [TrainableLinear.Saved]
}

extension TrainingModel {
    func gpt2Forward(batch: MicroBatch, x0: Tensor, training: Bool, rng: inout SplitMix64) -> (Tensor, [GPT2BlockActivations]) {
        let c = config
        let N = batch.tokenCount, C = c.hiddenSize, NH = c.numHeads, hd = c.headDim, I = c.intermediateSize
        let eps = Float(c.normEps), scale = 1 / Float(hd).squareRoot()
        var x = x0
        var acts: [GPT2BlockActivations] = []
        for blk in blocks {
            let L = blk.linears
            let mean1 = Tensor(shape: [N]), rstd1 = Tensor(shape: [N]), h1 = Tensor(shape: [N, C])
            layernormForward(out: h1.ptr, mean: mean1.ptr, rstd: rstd1.ptr, inp: x.ptr, weight: blk.norm1.w.ptr,
                             bias: blk.norm1.b?.ptr, N: N, C: C, eps: eps)
            let qkv = Tensor(shape: [N, 3 * C])
            var saved = [L[0].forward(out: qkv, inp: h1, N: N, train: training, rng: &rng)]
            let q = Tensor(shape: [N, NH, hd]), k = Tensor(shape: [N, NH, hd]), v = Tensor(shape: [N, NH, hd])
            splitQKV(qkv: qkv, q: q, k: k, v: v, N: N, C: C)
            let att = Tensor(shape: [attentionVarlenProbCount(cuSeqlens: batch.cuSeqlens, NH: NH)])
            let attOut = Tensor(shape: [N, C])
            attentionVarlenForward(out: attOut.ptr, att: att.ptr, q: q.ptr, k: k.ptr, v: v.ptr, cuSeqlens: batch.cuSeqlens,
                                   NH: NH, NKV: NH, hd: hd, scale: scale)
            let o = Tensor(shape: [N, C])
            saved.append(L[1].forward(out: o, inp: attOut, N: N, train: training, rng: &rng))
            let xmid = Tensor(shape: [N, C])
            residualForward(out: xmid.ptr, a: x.ptr, b: o.ptr, N: N * C)
            let mean2 = Tensor(shape: [N]), rstd2 = Tensor(shape: [N]), h2 = Tensor(shape: [N, C])
            layernormForward(out: h2.ptr, mean: mean2.ptr, rstd: rstd2.ptr, inp: xmid.ptr, weight: blk.norm2.w.ptr,
                             bias: blk.norm2.b?.ptr, N: N, C: C, eps: eps)
            let fc = Tensor(shape: [N, I]), act = Tensor(shape: [N, I])
            saved.append(L[2].forward(out: fc, inp: h2, N: N, train: training, rng: &rng))
            geluForward(out: act.ptr, inp: fc.ptr, N: N * I)
            let down = Tensor(shape: [N, C])
            saved.append(L[3].forward(out: down, inp: act, N: N, train: training, rng: &rng))
            let xout = Tensor(shape: [N, C])
            residualForward(out: xout.ptr, a: xmid.ptr, b: down.ptr, N: N * C)
            acts.append(GPT2BlockActivations(xin: x, mean1: mean1, rstd1: rstd1, h1: h1, q: q, k: k, v: v, att: att,
                                             attOut: attOut, xmid: xmid, mean2: mean2, rstd2: rstd2, h2: h2, fc: fc,
                                             act: act, saved: saved))
            x = xout
        }
        return (x, acts)
    }

    func gpt2Backward(batch: MicroBatch, dx: Tensor, acts: [GPT2BlockActivations]) {
        let c = config
        let N = batch.tokenCount, C = c.hiddenSize, NH = c.numHeads, hd = c.headDim, I = c.intermediateSize
        let scale = 1 / Float(hd).squareRoot()
        let dact = Tensor(shape: [N, I]), dfc = Tensor(shape: [N, I]), dh = Tensor(shape: [N, C])
        let dattOut = Tensor(shape: [N, C]), dqkv = Tensor(shape: [N, 3 * C])
        let dq = Tensor(shape: [N, NH, hd]), dk = Tensor(shape: [N, NH, hd]), dv = Tensor(shape: [N, NH, hd])
        for (blk, a) in zip(blocks, acts).reversed() {
            let L = blk.linears
            // the first writer of each gradient buffer overwrites it, the others add
            L[3].backward(dinp: dact, dout: dx, inp: a.act, saved: a.saved[3], N: N, overwrite: true)
            dfc.zeroGrad()
            geluBackward(dinp: dfc.ptr, dout: dact.ptr, inp: a.fc.ptr, N: N * I)
            L[2].backward(dinp: dh, dout: dfc, inp: a.h2, saved: a.saved[2], N: N, overwrite: true)
            layernormBackward(dinp: dx.ptr, dweight: blk.norm2.dw?.ptr, dbias: blk.norm2.db?.ptr, dout: dh.ptr,
                              inp: a.xmid.ptr, weight: blk.norm2.w.ptr, mean: a.mean2.ptr, rstd: a.rstd2.ptr, N: N, C: C)
            L[1].backward(dinp: dattOut, dout: dx, inp: a.attOut, saved: a.saved[1], N: N, overwrite: true)
            dq.zeroGrad()
            dk.zeroGrad()
            dv.zeroGrad()
            attentionVarlenBackward(dq: dq.ptr, dk: dk.ptr, dv: dv.ptr, dout: dattOut.ptr, q: a.q.ptr, k: a.k.ptr, v: a.v.ptr,
                                    att: a.att.ptr, cuSeqlens: batch.cuSeqlens, NH: NH, NKV: NH, hd: hd, scale: scale)
            mergeQKV(qkv: dqkv, q: dq, k: dk, v: dv, N: N, C: C)
            L[0].backward(dinp: dh, dout: dqkv, inp: a.h1, saved: a.saved[0], N: N, overwrite: true)
            layernormBackward(dinp: dx.ptr, dweight: blk.norm1.dw?.ptr, dbias: blk.norm1.db?.ptr, dout: dh.ptr,
                              inp: a.xin.ptr, weight: blk.norm1.w.ptr, mean: a.mean1.ptr, rstd: a.rstd1.ptr, N: N, C: C)
        }
    }

    /// qkv: (N,3C) -> q, k, v: (N,C) each.
    private func splitQKV(qkv: Tensor, q: Tensor, k: Tensor, v: Tensor, N: Int, C: Int) {
        for n in 0..<N {
            let src = qkv.ptr + n * 3 * C
            (q.ptr + n * C).update(from: src, count: C)
            (k.ptr + n * C).update(from: src + C, count: C)
            (v.ptr + n * C).update(from: src + 2 * C, count: C)
        }
    }

    /// The backward of `splitQKV`: dqkv (N,3C) = [dq | dk | dv] (overwrites).
    private func mergeQKV(qkv: Tensor, q: Tensor, k: Tensor, v: Tensor, N: Int, C: Int) {
        for n in 0..<N {
            let dst = qkv.ptr + n * 3 * C
            dst.update(from: q.ptr + n * C, count: C)
            (dst + C).update(from: k.ptr + n * C, count: C)
            (dst + 2 * C).update(from: v.ptr + n * C, count: C)
        }
    }
}
