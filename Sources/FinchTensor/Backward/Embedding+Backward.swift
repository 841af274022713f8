/// Backward of `encoderForward`: dwte[token] += dout, dwpe[pos] += dout.
/// dout: (N, C) with N = B*T, tokens, positions: (N); dwte: (V, C) or nil; dwpe: (maxT, C) or nil.
/// Rows sharing a token id add into one row, so the work is split by channel, not by row (no races,
/// and the sum order per element is fixed: deterministic).
public func encoderBackward(
    dwte: UnsafeMutablePointer<Float>?, dwpe: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
    N: Int, C: Int
) {
    parallelFor(C, minChunk: 32) { cols in
        for n in 0..<N {
            let g = dout + n * C
            if let dwte {
                let row = dwte + Int(tokens[n]) * C
                for c in cols { row[c] += g[c] }
            }
            if let dwpe {
                let row = dwpe + Int(positions[n]) * C
                for c in cols { row[c] += g[c] }
            }
        }
    }
}
