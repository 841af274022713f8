import Foundation
import Testing

/// Locates test inputs: committed fixtures next to this file, and the fetched (uncommitted)
/// `.testdata/` directory at the package root or at `$FINCH_TESTDATA`.
enum TestData {
    /// Tests/FinchTokenizerTests/Fixtures
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The package root: the first ancestor of this file holding Package.swift.
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    }()

    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["FINCH_TESTDATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.appendingPathComponent(".testdata")
    }()

    static func vocab(_ name: String) -> URL { root.appendingPathComponent("vocab/ggml-vocab-\(name).gguf") }
    static let smolLM2 = root.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

    /// True when the file exists, or when running in CI (then a missing file fails the test instead
    /// of skipping it).
    static func available(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    static let vocabAvailable = available(vocab("gpt-2"))
    static let smolLM2Available = available(smolLM2)
    static let skipMessage: Comment = "test data missing: run scripts/fetch-testdata.sh (or set FINCH_TESTDATA)"

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: fixtures.appendingPathComponent(name))
    }
}
