import FinchModels
import FinchTensor
import Foundation
import Testing

/// A safetensors image built by hand: header JSON + raw data.
func safetensorsBytes(header: String, data: [UInt8]) -> Data {
    var d = Data()
    var n = UInt64(header.utf8.count).littleEndian
    d.append(Data(bytes: &n, count: 8))
    d.append(Data(header.utf8))
    d.append(contentsOf: data)
    return d
}

func temporaryFile(_ data: Data, name: String = "t.safetensors") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-st-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try data.write(to: url)
    return url
}

@Suite("safetensors")
struct SafeTensorsTests {
    @Test("written tensors read back bit for bit")
    func roundTrip() throws {
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, .pi, -1e-20])
        let b = Tensor(shape: [4], values: [9, 8, 7, 6])
        let url = try temporaryFile(Data())
        try SafeTensors.write(["a.weight": a, "b": b], to: url)
        let st = try SafeTensorsFile(path: url.path)
        #expect(st.names == ["a.weight", "b"])
        #expect(try st.tensor("a.weight").toArray() == a.toArray())
        #expect(try st.tensor("b").shape == [4])
        #expect(st.metadata["format"] == "pt")
    }

    @Test("F16 and BF16 are widened to fp32")
    func widening() throws {
        // F16 1.0 = 0x3C00, -2.5 = 0xC100; BF16 1.0 = 0x3F80, 3.0 = 0x4040
        let header = #"{"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "# +
            #""b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}}"#
        let url = try temporaryFile(safetensorsBytes(header: header, data: [0x00, 0x3C, 0x00, 0xC1, 0x80, 0x3F, 0x40, 0x40]))
        let st = try SafeTensorsFile(path: url.path)
        #expect(try st.tensor("h").toArray() == [1, -2.5])
        #expect(try st.tensor("b").toArray() == [1, 3])
    }

    @Test("a sharded checkpoint loads through model.safetensors.index.json")
    func sharded() throws {
        let dir = tinyModelDirectory("llama")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors.index.json").path))
        let w = try SafeTensors.loadDirectory(dir)
        #expect(w["lm_head.weight"]?.shape == [320, 64])
        #expect(w.count == 21)
    }

    @Test("broken files are errors, not traps", arguments: [
        Data([1, 2, 3]),
        safetensorsBytes(header: "", data: []) + Data([0xFF]),
        Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0]) + Data("{}".utf8),
        safetensorsBytes(header: "not json", data: []),
        safetensorsBytes(header: #"{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: [0, 0]),
        safetensorsBytes(header: #"{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]),
        safetensorsBytes(header: #"{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]),
        safetensorsBytes(header: #"{"x": {"dtype": "F32", "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]),
    ])
    func broken(data: Data) throws {
        let url = try temporaryFile(data)
        #expect(throws: ModelError.self) { _ = try SafeTensorsFile(path: url.path) }
    }

    @Test("an unsupported dtype is named when the tensor is read")
    func unsupportedDType() throws {
        let url = try temporaryFile(safetensorsBytes(
            header: #"{"x": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8)))
        let st = try SafeTensorsFile(path: url.path)
        #expect(throws: ModelError.unsupportedDType(name: "x", dtype: "I64")) { _ = try st.tensor("x") }
    }
}
