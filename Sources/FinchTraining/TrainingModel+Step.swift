import FinchModels
import FinchTensor

extension TrainingModel {
    /// Logit rows computed at once: bounds the (rows, V) logits buffer for large vocabularies.
    static let logitChunk = 256

    /// One forward pass over a packed micro-batch and, with `gradScale`, the backward pass, which
    /// accumulates dLoss/dθ into the gradient buffers for Loss = gradScale * Σ_m w_m * loss_m.
    /// Without `gradScale` (evaluation) nothing is accumulated. `rng` drives LoRA dropout.
    /// Logits are computed only at the micro-batch's loss rows.
    public func forwardBackward(_ batch: MicroBatch, gradScale: Float?, rng: inout SplitMix64) throws -> BatchStats {
        let c = config
        let N = batch.tokenCount, C = c.hiddenSize, V = c.vocabSize, eps = Float(c.normEps)
        var stats = BatchStats()
        guard N > 0 else { return stats }
        for t in batch.tokens where t < 0 || Int(t) >= V {
            throw ModelError.tokenOutOfRange(token: Int(t), vocabSize: V)
        }
        for p in batch.positions where Int(p) >= c.maxPositionEmbeddings {
            throw ModelError.contextTooLong(length: Int(p) + 1, limit: c.maxPositionEmbeddings)
        }
        // embeddings: x0 (N,C)
        let x0 = Tensor(shape: [N, C])
        batch.tokens.withUnsafeBufferPointer { tok in
            batch.positions.withUnsafeBufferPointer { pos in
                encoderForward(out: x0.ptr, tokens: tok.baseAddress!, wte: embed.ptr, wpe: wpe?.ptr, positions: pos.baseAddress!,
                               B: 1, T: N, C: C)
            }
        }
        // rope tables per token position (Llama family)
        let half = c.headDim / 2
        let cosT = Tensor(shape: [isGPT2 ? 1 : N, half]), sinT = Tensor(shape: [isGPT2 ? 1 : N, half])
        if !isGPT2 {
            batch.positions.withUnsafeBufferPointer { pos in
                invFreq.withUnsafeBufferPointer { f in
                    ropeTables(cos: cosT.ptr, sin: sinT.ptr, positions: pos.baseAddress!, invFreq: f.baseAddress!, N: N, half: half)
                }
            }
        }
        var llamaActs: [LlamaBlockActivations] = [], gptActs: [GPT2BlockActivations] = []
        let xL: Tensor
        if isGPT2 {
            (xL, gptActs) = gpt2Forward(batch: batch, x0: x0, training: gradScale != nil, rng: &rng)
        } else {
            (xL, llamaActs) = llamaForward(batch: batch, x0: x0, cosT: cosT, sinT: sinT, training: gradScale != nil, rng: &rng)
        }
        // final norm: hf (N,C)
        let hf = Tensor.uninitialized(shape: [N, C]), meanF = Tensor(shape: [N]), rstdF = Tensor(shape: [N])
        if isGPT2 {
            layernormForward(out: hf.ptr, mean: meanF.ptr, rstd: rstdF.ptr, inp: xL.ptr, weight: finalNorm.w.ptr,
                             bias: finalNorm.b?.ptr, N: N, C: C, eps: eps)
        } else {
            rmsnormForward(out: hf.ptr, rstd: rstdF.ptr, inp: xL.ptr, weight: finalNorm.w.ptr, N: N, C: C, eps: eps)
        }
        // classifier on the loss rows only, in chunks; dhf collects the gradient of the gathered rows
        let M = batch.lossRows.count
        let dhf = gradScale == nil ? nil : Tensor(shape: [N, C])
        var start = 0
        while start < M {
            let rows = min(Self.logitChunk, M - start)
            let hRows = Tensor.uninitialized(shape: [rows, C])
            for r in 0..<rows { (hRows.ptr + r * C).update(from: hf.ptr + Int(batch.lossRows[start + r]) * C, count: C) }
            let logits = Tensor.uninitialized(shape: [rows, V])
            matmulForward(out: logits.ptr, inp: hRows.ptr, weight: lmHead.ptr, bias: nil, N: rows, C: C, OC: V)
            let losses = Tensor(shape: [rows]), correct = Tensor(shape: [rows])
            batch.targets.withUnsafeBufferPointer { tg in
                batch.weights.withUnsafeBufferPointer { w in
                    crossEntropyForwardBackward(logits: logits.ptr, losses: losses.ptr, correct: correct.ptr,
                                                targets: tg.baseAddress! + start, weights: w.baseAddress! + start,
                                                gradScale: gradScale, M: rows, V: V)
                }
            }
            for r in 0..<rows {
                let w = Double(batch.weights[start + r])
                stats.weightedLoss += w * Double(losses.ptr[r])
                stats.weightedCorrect += w * Double(correct.ptr[r])
                stats.weight += w
            }
            if let dhf {
                let dhRows = Tensor(shape: [rows, C])
                matmulBackward(dinp: dhRows.ptr, dweight: dlmHead?.ptr, dbias: nil, dout: logits.ptr, inp: hRows.ptr,
                               weight: lmHead.ptr, N: rows, C: C, OC: V)
                for r in 0..<rows { axpy(1, dhRows.ptr + r * C, dhf.ptr + Int(batch.lossRows[start + r]) * C, C) }
            }
            start += rows
        }
        stats.tokens = N
        stats.lossRows = M
        guard let dhf else { return stats }
        // backward: final norm, blocks, embeddings
        let dx = Tensor(shape: [N, C])
        if isGPT2 {
            layernormBackward(dinp: dx.ptr, dweight: finalNorm.dw?.ptr, dbias: finalNorm.db?.ptr, dout: dhf.ptr, inp: xL.ptr,
                              weight: finalNorm.w.ptr, mean: meanF.ptr, rstd: rstdF.ptr, N: N, C: C)
            gpt2Backward(batch: batch, dx: dx, acts: gptActs)
        } else {
            rmsnormBackward(dinp: dx.ptr, dweight: finalNorm.dw?.ptr, dout: dhf.ptr, inp: xL.ptr, weight: finalNorm.w.ptr,
                            rstd: rstdF.ptr, N: N, C: C)
            llamaBackward(batch: batch, dx: dx, acts: llamaActs, cosT: cosT, sinT: sinT)
        }
        if dembed != nil || dwpe != nil {
            batch.tokens.withUnsafeBufferPointer { tok in
                batch.positions.withUnsafeBufferPointer { pos in
                    encoderBackward(dwte: dembed?.ptr, dwpe: dwpe?.ptr, dout: dx.ptr, tokens: tok.baseAddress!,
                                    positions: pos.baseAddress!, N: N, C: C)
                }
            }
        }
        return stats
    }
}

extension TrainingModel {
    /// The gradient of one optimizer step, accumulated over the batch's micro-batches: gradients zeroed, each
    /// micro-batch's loss scaled by the batch's total loss weight (so the step sees the batch's weighted mean),
    /// LoRA dropout seeded by `seed` and the step number, then clipped to `maxGradNorm`. Returns the batch's
    /// statistics and the gradient norm before clipping; the caller applies the optimizer.
    func accumulateGradients(_ microBatches: [MicroBatch], seed: UInt64, step: Int,
                             maxGradNorm: Double) throws -> (stats: BatchStats, norm: Double) {
        let totalWeight = microBatches.reduce(0) { $0 + $1.weightSum }
        let scale: Float = totalWeight > 0 ? Float(1 / totalWeight) : 0
        zeroGrad()
        var rng = SplitMix64(seed: seed, stream: 3, UInt64(step))
        var stats = BatchStats()
        for mb in microBatches { stats = stats + (try forwardBackward(mb, gradScale: scale, rng: &rng)) }
        return (stats, clipGradNorm(parameters, maxNorm: maxGradNorm))
    }
}
