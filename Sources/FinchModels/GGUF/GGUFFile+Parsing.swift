/// Header, metadata and tensor-info parsing for `GGUFFile`.
extension GGUFFile {
    /// The value type ids of GGUF metadata (`gguf_type`).
    private enum ValueType: UInt32 {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
    }

    /// Nested arrays deeper than this are rejected (the format allows nesting; real files use none).
    private static let maxArrayDepth = 8

    struct Parsed {
        var version: UInt32
        var metadata: GGUFMetadata
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Parsed {
        var reader = GGUFByteReader(bytes: bytes)
        guard bytes.count >= 4 else { throw GGUFError.truncated(what: "magic", offset: 0) }
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw GGUFError.badMagic }  // "GGUF" little-endian
        let version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        // Each tensor info is at least 8 (name len) + 4 (n_dims) + 4 (type) + 8 (offset) bytes,
        // each key/value at least 8 (key len) + 4 (type) + 1 byte.
        let tensorCount = try reader.readCount("tensor count", minElementSize: 24)
        let kvCount = try reader.readCount("metadata key/value count", minElementSize: 13)

        var entries: [(String, GGUFValue)] = []
        entries.reserveCapacity(kvCount)
        for index in 0..<kvCount {
            let key = try reader.readString("metadata key #\(index)")
            let typeRaw = try reader.read(UInt32.self, "value type of '\(key)'")
            let value = try readValue(typeRaw, key: key, depth: 0, &reader)
            entries.append((key, value))
        }
        let metadata = try GGUFMetadata(entries: entries)

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw GGUFError.malformed("general.alignment must be a power of two, got \(value)")
            }
            alignment = a
        }

        var infos: [(name: String, dims: [Int], type: GGMLType, offset: Int)] = []
        infos.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("name of tensor #\(index)")
            let nDims = try reader.read(UInt32.self, "dimension count of tensor '\(name)'")
            guard nDims >= 1, nDims <= 4 else {
                throw GGUFError.malformed("tensor '\(name)' has \(nDims) dimensions (ggml allows 1...4)")
            }
            var dims: [Int] = []
            for d in 0..<Int(nDims) {
                let size = try reader.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard size <= UInt64(Int32.max) else {
                    throw GGUFError.malformed("tensor '\(name)' dimension \(d) is \(size), too large")
                }
                dims.append(Int(size))
            }
            let type = GGMLType(rawValue: try reader.read(UInt32.self, "type of tensor '\(name)'"))
            let offset = try reader.read(UInt64.self, "data offset of tensor '\(name)'")
            guard offset <= UInt64(Int.max / 2) else {
                throw GGUFError.malformed("tensor '\(name)' data offset \(offset) is too large")
            }
            infos.append((name, dims, type, Int(offset)))
        }

        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        var seen = Set<String>()
        for info in infos {
            guard seen.insert(info.name).inserted else {
                throw GGUFError.malformed("duplicate tensor name '\(info.name)'")
            }
            guard let blockSize = info.type.blockSize, let blockBytes = info.type.bytesPerBlock else {
                throw GGUFError.malformed("tensor '\(info.name)' has unknown ggml type id \(info.type.rawValue)")
            }
            var elements = 1
            for d in info.dims {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product <= Int(Int32.max) * 64 else {
                    throw GGUFError.malformed("tensor '\(info.name)' has too many elements \(info.dims)")
                }
                elements = product
            }
            guard info.dims[0] % blockSize == 0 else {
                throw GGUFError.malformed(
                    "tensor '\(info.name)' row length \(info.dims[0]) is not a multiple of the \(info.type) block size \(blockSize)")
            }
            guard info.offset % alignment == 0 else {
                throw GGUFError.malformed("tensor '\(info.name)' offset \(info.offset) is not aligned to \(alignment)")
            }
            let byteCount = elements / blockSize * blockBytes
            let start = dataOffset + info.offset
            guard start <= bytes.count, byteCount <= bytes.count - start else {
                throw GGUFError.truncated(what: "data of tensor '\(info.name)' (\(byteCount) bytes)", offset: start)
            }
            tensors.append(GGUFTensorInfo(
                name: info.name, dimensions: info.dims, type: info.type,
                relativeOffset: info.offset, absoluteOffset: start, byteCount: byteCount, elementCount: elements))
        }
        return Parsed(version: version, metadata: metadata, tensors: tensors, alignment: alignment, dataOffset: dataOffset)
    }

    private static func readValue(
        _ typeRaw: UInt32, key: String, depth: Int, _ reader: inout GGUFByteReader
    ) throws -> GGUFValue {
        guard let type = ValueType(rawValue: typeRaw) else {
            throw GGUFError.malformed("metadata '\(key)' has unknown value type \(typeRaw)")
        }
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try reader.read(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try reader.read(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try reader.read(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try reader.read(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try reader.read(Int32.self, "value of '\(key)'"))
        case .uint64: return .uint64(try reader.read(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try reader.read(Int64.self, "value of '\(key)'"))
        case .float32: return .float32(try reader.readFloat("value of '\(key)'"))
        case .float64: return .float64(try reader.readDouble("value of '\(key)'"))
        case .bool:
            let byte = try reader.read(UInt8.self, "value of '\(key)'")
            guard byte <= 1 else { throw GGUFError.malformed("metadata '\(key)' bool has value \(byte)") }
            return .bool(byte == 1)
        case .string: return .string(try reader.readString("value of '\(key)'"))
        case .array:
            guard depth < maxArrayDepth else { throw GGUFError.malformed("metadata '\(key)' nests arrays too deeply") }
            let elementRaw = try reader.read(UInt32.self, "element type of '\(key)'")
            guard let elementType = ValueType(rawValue: elementRaw) else {
                throw GGUFError.malformed("metadata '\(key)' array has unknown element type \(elementRaw)")
            }
            let count = try reader.readCount("element count of '\(key)'", minElementSize: minimumSize(elementType))
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                items.append(try readValue(elementRaw, key: key, depth: depth + 1, &reader))
            }
            return .array(items)
        }
    }

    private static func minimumSize(_ type: ValueType) -> Int {
        switch type {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}
