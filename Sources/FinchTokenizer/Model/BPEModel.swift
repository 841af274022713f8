import Foundation

/// Byte-pair encoding over token ids: a word's symbols are merged by merge rank (lowest first,
/// leftmost on ties), like HF tokenizers' `BPE` model.
///
/// Byte-level models (GPT-2, Llama 3, Qwen2, SmolLM2) get words already mapped to the byte-level
/// alphabet; SentencePiece-style models (Llama 2, TinyLlama) get `▁`-words whose characters missing
/// from the vocabulary fall back to `<0xXX>` byte tokens.
final class BPEModel: Sendable {
    /// token string → id, compared scalar by scalar (see `ExactKey`)
    let vocab: [ExactKey: Int]
    /// Merge table keyed by `leftId << 32 | rightId`; value `rank << 32 | mergedId`.
    private let merges: [UInt64: UInt64]
    /// Ids of single-scalar tokens, for fast initial symbols.
    private let scalarIds: [UInt32: Int]
    private let byteFallbackIds: [Int]?
    /// Id of each byte's byte-level symbol (`Ġ` for 0x20...), -1 when the vocabulary lacks it.
    private let byteLevelIds: [Int]
    private let unkId: Int?
    private let fuseUnk: Bool
    /// Llama 3: a word that is itself a token is emitted whole, without merging.
    private let ignoreMerges: Bool
    private let cache = WordCache()

    /// - Parameter merges: pairs of token strings in rank order.
    init(
        vocab: [ExactKey: Int], merges: [(String, String)], unkToken: String?, byteFallback: Bool,
        fuseUnk: Bool, ignoreMerges: Bool
    ) throws {
        self.vocab = vocab
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, pair) in merges.enumerated() {
            guard let a = vocab[ExactKey(pair.0)], let b = vocab[ExactKey(pair.1)] else {
                throw TokenizerError.invalidField(
                    path: "model.merges[\(rank)]", reason: "merges '\(pair.0) \(pair.1)' but a part is not in the vocabulary")
            }
            guard let merged = vocab[ExactKey(pair.0 + pair.1)] else {
                throw TokenizerError.invalidField(
                    path: "model.merges[\(rank)]", reason: "merges into '\(pair.0 + pair.1)', which is not in the vocabulary")
            }
            let key = UInt64(a) << 32 | UInt64(b)
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(merged) }
        }
        self.merges = table
        var scalarIds: [UInt32: Int] = [:]
        for (key, id) in vocab {
            var it = key.string.unicodeScalars.makeIterator()
            if let first = it.next(), it.next() == nil { scalarIds[first.value] = id }
        }
        self.scalarIds = scalarIds
        if let unkToken {
            guard let id = vocab[ExactKey(unkToken)] else {
                throw TokenizerError.invalidField(path: "model.unk_token", reason: "'\(unkToken)' is not in the vocabulary")
            }
            self.unkId = id
        } else {
            self.unkId = nil
        }
        if byteFallback {
            self.byteFallbackIds = (0..<256).map { byte in vocab[ExactKey(String(format: "<0x%02X>", byte))] ?? -1 }
        } else {
            self.byteFallbackIds = nil
        }
        self.byteLevelIds = ByteLevelAlphabet.byteToScalar.map { vocab[ExactKey(String($0))] ?? -1 }
        self.fuseUnk = fuseUnk
        self.ignoreMerges = ignoreMerges
    }

    /// Token ids of a raw word of a byte-level model (GPT-2 family): its UTF-8 bytes are the initial
    /// symbols. Same result as `tokenize(ByteLevelAlphabet.encode(word.utf8))`, without building
    /// the mapped string on a cache hit.
    func tokenize(byteLevelWord word: String) -> [Int] {
        if word.isEmpty { return [] }
        let cacheable = word.utf8.count <= 256
        if cacheable, let hit = cache.get(word) { return hit }
        var ids: [Int]
        if ignoreMerges, let id = vocab[ExactKey(ByteLevelAlphabet.encode(word.utf8))] {
            ids = [id]
        } else {
            ids = []
            ids.reserveCapacity(word.utf8.count)
            for byte in word.utf8 {
                let id = byteLevelIds[Int(byte)]
                if id >= 0 { ids.append(id) } else if let unkId { ids.append(unkId) }
            }
            ids = merge(ids)
        }
        if cacheable { cache.set(word, ids) }
        return ids
    }

    /// Token ids of one pre-tokenized word (cached).
    func tokenize(_ word: String) -> [Int] {
        if word.isEmpty { return [] }
        if ignoreMerges, let id = vocab[ExactKey(word)] { return [id] }
        let cacheable = word.utf8.count <= 256
        if cacheable, let hit = cache.get(word) { return hit }
        let ids = merge(initialSymbols(word))
        if cacheable { cache.set(word, ids) }
        return ids
    }

    private func initialSymbols(_ word: String) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(word.unicodeScalars.count)
        var lastWasUnk = false
        for scalar in word.unicodeScalars {
            if let id = scalarIds[scalar.value] {
                ids.append(id)
                lastWasUnk = false
                continue
            }
            if let byteIds = byteFallbackIds {
                let bytes = Array(String(scalar).utf8)
                if bytes.allSatisfy({ byteIds[Int($0)] >= 0 }) {
                    for b in bytes { ids.append(byteIds[Int(b)]) }
                    lastWasUnk = false
                    continue
                }
            }
            // Not in the vocabulary: the unknown token (consecutive ones fused when asked), or dropped
            // when the model has none, as HF does.
            if let unkId {
                if !(fuseUnk && lastWasUnk) { ids.append(unkId) }
                lastWasUnk = true
            }
        }
        return ids
    }

    /// Applies merges with a min-heap of (rank, position) over a doubly linked list of symbols.
    private func merge(_ initial: [Int]) -> [Int] {
        let n = initial.count
        if n < 2 { return initial }
        var ids = initial
        var next = Array(1...n)  // n means "none"
        next[n - 1] = -1
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func rankOf(_ a: Int, _ b: Int) -> UInt64? { merges[UInt64(a) << 32 | UInt64(b)] }
        for i in 0..<(n - 1) {
            if let m = rankOf(ids[i], ids[i + 1]) { heap.push((m >> 32) << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let rank = top >> 32
            let pos = Int(top & 0xFFFF_FFFF)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = next[pos]
            guard let m = rankOf(ids[pos], ids[right]), m >> 32 == rank else { continue }  // stale
            ids[pos] = Int(m & 0xFFFF_FFFF)
            alive[right] = false
            next[pos] = next[right]
            if next[right] >= 0 { prev[next[right]] = pos }
            if prev[pos] >= 0, let m2 = rankOf(ids[prev[pos]], ids[pos]) {
                heap.push((m2 >> 32) << 32 | UInt64(prev[pos]))
            }
            if next[pos] >= 0, let m2 = rankOf(ids[pos], ids[next[pos]]) {
                heap.push((m2 >> 32) << 32 | UInt64(pos))
            }
        }
        var out: [Int] = []
        var i = 0
        while i >= 0 {
            out.append(ids[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of packed `rank << 32 | position` keys (lowest rank, then leftmost, first).
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ value: UInt64) {
        items.append(value)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l] < items[smallest] { smallest = l }
            if r < items.count && items[r] < items[smallest] { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return first
    }
}

/// A bounded word → ids cache shared across threads.
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [ExactKey: [Int]] = [:]
    private let capacity = 50_000

    func get(_ key: String) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[ExactKey(key)]
    }

    func set(_ key: String, _ value: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[ExactKey(key)] = value
    }
}
