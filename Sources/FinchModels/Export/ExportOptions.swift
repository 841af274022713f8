import Foundation

/// What `finch export` / `GET /v1/models/{model}/export` can write.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// The PEFT LoRA adapter directory as trained (adapter_config.json + adapter_model.safetensors).
    case peft
    /// A Hugging Face model directory with the adapter merged into the weights.
    case safetensors
    /// One llama.cpp GGUF v3 file with the merged weights and the tokenizer.
    case gguf

    /// The element types this format can store, and the one used when none is asked for.
    public var dtypes: [ExportDType] {
        switch self {
        case .peft: [.f32]
        case .safetensors: [.f32, .f16, .bf16]
        case .gguf: [.f32, .f16, .q8_0]
        }
    }

    public var defaultDType: ExportDType {
        switch self {
        case .peft, .safetensors: .f32
        case .gguf: .f16
        }
    }

    /// Whether the export is one file (else a directory).
    public var isSingleFile: Bool { self == .gguf }
}

/// The element type of exported weights.
public enum ExportDType: String, Sendable, CaseIterable {
    case f32, f16, bf16
    case q8_0
}

/// Why an export could not be written. Every bad request or unsupported model ends here.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `peft` asked for a base model or a fully fine-tuned model.
    case notAnAdapter(String)
    case unsupportedDType(format: ExportFormat, dtype: ExportDType)
    /// The model cannot be written in this format (architecture, tokenizer, rope scaling, ...).
    case unsupported(String)
    case invalidModel(String)
    case outputExists(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAnAdapter(let what):
            "\(what) has no LoRA adapter: nothing to export as peft (use format safetensors or gguf)"
        case .unsupportedDType(let format, let dtype):
            "dtype \(dtype.rawValue) is not available for format \(format.rawValue) "
                + "(supported: \(format.dtypes.map(\.rawValue).joined(separator: ", ")))"
        case .unsupported(let why): "cannot export: \(why)"
        case .invalidModel(let why): "cannot export: \(why)"
        case .outputExists(let path): "\(path) already exists"
        case .io(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
