import FinchTensor
import Foundation

/// Writes a model as a llama.cpp GGUF v3 file, the inverse of `GGUFImporter`: HF names → GGUF
/// names, `{arch}.*` hparams from the config, q/k rows of `llama` permuted the way
/// convert_hf_to_gguf does (llama.cpp's rope rotates interleaved pairs), the tokenizer metadata,
/// and tensors in F32, F16 or Q8_0 (1-D norms and biases stay F32, as llama.cpp keeps them;
/// rows whose length is not a multiple of 32 fall back from Q8_0 to F16).
enum GGUFModelExport {
    /// GGUF `general.architecture` for an HF `model_type`.
    static func architecture(_ modelType: String) throws -> String {
        switch modelType {
        case "llama", "mistral": "llama"
        case "qwen2": "qwen2"
        case "qwen3": "qwen3"
        default: throw ExportError.unsupported("GGUF export supports llama-family, qwen2 and qwen3 models, not \(modelType)")
        }
    }

    static func write(weights: [String: Tensor], config c: ModelConfig, tokenizerDirectory: URL, dtype: ExportDType,
                      name: String, to path: String) throws {
        guard [.f32, .f16, .q8_0].contains(dtype) else { throw ExportError.unsupportedDType(format: .gguf, dtype: dtype) }
        let arch = try architecture(c.modelType)
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string(arch)), ("general.type", .string("model")), ("general.name", .string(name)),
            ("general.file_type", .uint32(dtype == .f32 ? 0 : dtype == .f16 ? 1 : 7)),
        ]
        if dtype == .q8_0 { metadata.append(("general.quantization_version", .uint32(2))) }
        metadata += try hyperparameters(c, arch: arch)
        metadata += try GGUFTokenizerMetadata.entries(directory: tokenizerDirectory, vocabSize: c.vocabSize, config: c)

        var tensors: [GGUFTensorToWrite] = []
        for hf in try orderedNames(weights, config: c) {
            guard let gguf = ggufName(hf) else {
                throw ExportError.unsupported("weight \(hf) has no GGUF counterpart")
            }
            let w = weights[hf]!
            let type: GGMLType
            if w.rank < 2 || dtype == .f32 {
                type = .f32
            } else if dtype == .q8_0, w.shape[w.rank - 1] % 32 == 0 {
                type = .q8_0
            } else {
                type = .f16
            }
            let heads: Int? = arch != "llama" ? nil
                : hf.hasSuffix("q_proj.weight") || hf.hasSuffix("q_proj.bias") ? c.numHeads
                : hf.hasSuffix("k_proj.weight") || hf.hasSuffix("k_proj.bias") ? c.numKVHeads : nil
            let encoding: ExportDType = type == .f32 ? .f32 : type == .f16 ? .f16 : .q8_0
            tensors.append(GGUFTensorToWrite(
                name: gguf, dimensions: w.shape.reversed(), type: type,
                byteCount: w.count / type.blockSize! * type.bytesPerBlock!,
                encode: { ExportEncoding.encode(heads.map { permuteQK(w, heads: $0) } ?? w, as: encoding) }))
        }
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
    }

    /// `{arch}.*` keys as llama.cpp reads them.
    static func hyperparameters(_ c: ModelConfig, arch a: String) throws -> [(String, GGUFValue)] {
        var out: [(String, GGUFValue)] = [
            ("\(a).block_count", .uint32(UInt32(c.numLayers))), ("\(a).context_length", .uint32(UInt32(c.maxPositionEmbeddings))),
            ("\(a).embedding_length", .uint32(UInt32(c.hiddenSize))), ("\(a).feed_forward_length", .uint32(UInt32(c.intermediateSize))),
            ("\(a).attention.head_count", .uint32(UInt32(c.numHeads))), ("\(a).attention.head_count_kv", .uint32(UInt32(c.numKVHeads))),
            ("\(a).rope.freq_base", .float32(Float(c.ropeTheta))),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(Float(c.normEps))),
            ("\(a).vocab_size", .uint32(UInt32(c.vocabSize))), ("\(a).rope.dimension_count", .uint32(UInt32(c.headDim))),
        ]
        if c.headDim * c.numHeads != c.hiddenSize {
            out += [("\(a).attention.key_length", .uint32(UInt32(c.headDim))), ("\(a).attention.value_length", .uint32(UInt32(c.headDim)))]
        }
        switch c.ropeScaling {
        case .none: break
        case .linear(let factor):
            out += [("\(a).rope.scaling.type", .string("linear")), ("\(a).rope.scaling.factor", .float32(Float(factor)))]
        case .llama3:
            throw ExportError.unsupported("llama3 rope scaling (rope_freqs) is not supported by the GGUF export yet")
        }
        guard c.hiddenAct == "silu", !c.mlpBias else {
            throw ExportError.unsupported("GGUF export needs a SwiGLU MLP without bias (hidden_act silu)")
        }
        if c.attentionBias, a == "llama" {
            throw ExportError.unsupported("llama-family models with attention bias are not supported by the GGUF export")
        }
        return out
    }

    /// Weights in llama.cpp's order: token_embd, the blocks by layer, output_norm, output. A tied
    /// lm_head is left out (llama.cpp then reuses token_embd).
    static func orderedNames(_ weights: [String: Tensor], config c: ModelConfig) throws -> [String] {
        var names = weights.keys.filter { !(c.tieWordEmbeddings && $0 == "lm_head.weight") }
        func rank(_ name: String) -> (Int, String) {
            if name == "model.embed_tokens.weight" { return (-1, name) }
            let parts = name.split(separator: ".")
            if parts.count > 3, parts[1] == "layers", let layer = Int(parts[2]) { return (layer, name) }
            return (Int.max, name)
        }
        names.sort { rank($0) < rank($1) }
        return names
    }

    /// The GGUF name of an HF weight (inverse of `GGUFImporter.hfName`).
    static func ggufName(_ hf: String) -> String? {
        if let top = GGUFImporter.topLevelNames.first(where: { $0.value == hf }) { return top.key }
        let parts = hf.split(separator: ".").map(String.init)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return nil }
        let module = parts[3..<(parts.count - 1)].joined(separator: ".")
        guard let gguf = GGUFImporter.layerNames.first(where: { $0.value == module })?.key else { return nil }
        return "blk.\(layer).\(gguf).\(suffix)"
    }

    /// convert_hf_to_gguf's `permute`: HF rotate-half rows (a, b) of each head become interleaved
    /// pairs (b, a). w: (heads * hd, cols); GGUF row h*hd + 2b + a = HF row h*hd + a*hd/2 + b.
    static func permuteQK(_ w: Tensor, heads: Int) -> Tensor {
        let rows = w.shape[0], cols = w.count / max(rows, 1)
        let hd = rows / heads, half = hd / 2
        let out = Tensor(shape: w.shape)
        for h in 0..<heads {
            for a in 0..<2 {
                for b in 0..<half {
                    (out.ptr + (h * hd + 2 * b + a) * cols).update(from: w.ptr + (h * hd + a * half + b) * cols, count: cols)
                }
            }
        }
        return out
    }
}
