/// One fp32 buffer. Tensors are views onto it (shape + offset), so copying a `Tensor`
/// shares memory: kernels write through views, llm.c style.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps borrowed memory (e.g. a memory-mapped file) alive; nil when this storage owns `base`.
    private let owner: AnyObject?

    /// Allocates `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "negative tensor size")
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        owner = nil
    }

    /// Allocates `count` values without clearing them: only for buffers a kernel overwrites in full
    /// (a GEMM with beta 0, a norm's output), where zero-filling first would be wasted memory traffic.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative tensor size")
        self.count = count
        base = .allocate(capacity: max(count, 1))
        owner = nil
    }

    /// Wraps memory that `owner` keeps alive (and writable, e.g. a private copy-on-write map).
    public init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit { if owner == nil { base.deallocate() } }
}

/// A contiguous, row-major fp32 tensor.
public struct Tensor: Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    public let offset: Int

    /// A new zero-filled tensor.
    public init(shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
        offset = 0
    }

    /// A new tensor whose values are left unset: for outputs a kernel writes in full before anything reads them.
    public static func uninitialized(shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// A new tensor holding `values` (row-major), which must fill `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { storage.base.update(from: s, count: values.count) }
        }
    }

    /// A view of `storage` starting at `offset`.
    public init(shape: [Int], storage: TensorStorage, offset: Int = 0) {
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= storage.count, "view outside its storage")
        self.shape = shape
        self.storage = storage
        self.offset = offset
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// Pointer to the first element; valid while this tensor (or its storage) is alive.
    public var ptr: UnsafeMutablePointer<Float> { storage.base + offset }

    /// The same memory seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape) changes size")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// Rows `range` of the first dimension, sharing memory.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows out of range")
        let rowSize = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [range.count] + shape.dropFirst(), storage: storage, offset: offset + range.lowerBound * rowSize)
    }

    /// A copy of the elements, row-major.
    public func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: ptr, count: count))
    }

    /// A deep copy with its own storage.
    public func copy() -> Tensor {
        let t = Tensor(shape: shape)
        t.ptr.update(from: ptr, count: count)
        return t
    }

    public func fill(_ value: Float) { ptr.update(repeating: value, count: count) }

    public subscript(flat i: Int) -> Float {
        get { ptr[i] }
        nonmutating set { ptr[i] = newValue }
    }
}

extension Tensor {
    /// Largest |a - b| over all elements; shapes must have equal counts.
    public func maxAbsDiff(_ other: Tensor) -> Float {
        precondition(count == other.count, "maxAbsDiff on different sizes")
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(ptr[i] - other.ptr[i])) }
        return m
    }
}
