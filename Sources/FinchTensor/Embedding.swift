/// Token (+ optional learned position) embedding.
/// out: (B,T,C), tokens: (B,T), wte: (V,C), wpe: (maxT,C) or nil, positions: (B,T) or nil (then t).
/// Token ids must be validated by the caller (0 <= id < V).
public func encoderForward(
    out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
    wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?, positions: UnsafePointer<Int32>?,
    B: Int, T: Int, C: Int
) {
    parallelFor(B * T, minChunk: 8) { range in
        for bt in range {
            let o = out + bt * C
            o.update(from: wte + Int(tokens[bt]) * C, count: C)
            if let wpe {
                let pos = positions.map { Int($0[bt]) } ?? (bt % T)
                axpy(1, wpe + pos * C, o, C)
            }
        }
    }
}
