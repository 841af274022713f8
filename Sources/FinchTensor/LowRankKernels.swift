/// The three products of a LoRA layer's training step, hand-written for a small rank r (a multiple of 8).
///
/// With r = 8 every LoRA product is a pass over an (N, C) or (N, OC) activation with 8 multiply-adds per
/// element: memory-bound, and too thin for a BLAS call to pay off (each sgemm packs its big operand once
/// more and costs microseconds of set-up; a rank-8 model makes ~1300 such calls per step). These kernels
/// read each activation once, keep the rank-8 side in registers, and sum in a fixed order whatever the
/// number of workers. `lowRankSupported(r)` says when they apply.

/// Whether the kernels below handle rank r (blocks of 8 ranks).
@inline(__always)
public func lowRankSupported(_ r: Int) -> Bool { r > 0 && r % 8 == 0 }

/// y (N, r) = alpha · x (N, M) · wᵀ, with w: (r, M). Row n of y is r dot products of x's row n; rows go
/// in pairs so each load of w feeds two rows.
public func lowRankProject(
    y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, alpha: Float,
    N: Int, M: Int, r: Int
) {
    precondition(lowRankSupported(r), "lowRankProject: rank \(r) is not a multiple of 8")
    let pairs = (N + 1) / 2
    parallelFor(pairs, minChunk: max(1, 8192 / max(M, 1))) { range in
        for pair in range {
            let n = 2 * pair
            // a lone last row pairs with itself; its duplicate result is simply not stored
            let xa = x + n * M, xb = n + 1 < N ? xa + M : xa
            for kb in stride(from: 0, to: r, by: 8) {
                let w0 = w + kb * M
                var a = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                         SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                var b = a
                var c = 0
                while c + 16 <= M {
                    let va = load16(xa + c), vb = load16(xb + c)
                    var wk = load16(w0 + c); a.0.addProduct(va, wk); b.0.addProduct(vb, wk)
                    wk = load16(w0 + M + c); a.1.addProduct(va, wk); b.1.addProduct(vb, wk)
                    wk = load16(w0 + 2 * M + c); a.2.addProduct(va, wk); b.2.addProduct(vb, wk)
                    wk = load16(w0 + 3 * M + c); a.3.addProduct(va, wk); b.3.addProduct(vb, wk)
                    wk = load16(w0 + 4 * M + c); a.4.addProduct(va, wk); b.4.addProduct(vb, wk)
                    wk = load16(w0 + 5 * M + c); a.5.addProduct(va, wk); b.5.addProduct(vb, wk)
                    wk = load16(w0 + 6 * M + c); a.6.addProduct(va, wk); b.6.addProduct(vb, wk)
                    wk = load16(w0 + 7 * M + c); a.7.addProduct(va, wk); b.7.addProduct(vb, wk)
                    c += 16
                }
                var sa = SIMD8<Float>(a.0.sum(), a.1.sum(), a.2.sum(), a.3.sum(), a.4.sum(), a.5.sum(), a.6.sum(), a.7.sum())
                var sb = SIMD8<Float>(b.0.sum(), b.1.sum(), b.2.sum(), b.3.sum(), b.4.sum(), b.5.sum(), b.6.sum(), b.7.sum())
                while c < M {
                    for j in 0..<8 {
                        sa[j] += xa[c] * w0[j * M + c]
                        sb[j] += xb[c] * w0[j * M + c]
                    }
                    c += 1
                }
                store8(sa * alpha, y + n * r + kb)
                if n + 1 < N { store8(sb * alpha, y + (n + 1) * r + kb) }
            }
        }
    }
}

/// y (N, M) += u (N, r) · w (r, M): row n of y gains the r rows of w weighted by u's row n.
/// Four rows at a time, so each load of w feeds four rows.
public func lowRankExpand(
    y: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, w: UnsafePointer<Float>, N: Int, M: Int, r: Int
) {
    precondition(lowRankSupported(r), "lowRankExpand: rank \(r) is not a multiple of 8")
    let quads = (N + 3) / 4
    parallelFor(quads, minChunk: max(1, 4096 / max(M, 1))) { range in
        for quad in range {
            let n0 = 4 * quad, rows = min(4, N - n0)
            if rows < 4 {
                for n in n0..<(n0 + rows) { expandRow(y + n * M, u + n * r, w, M: M, r: r) }
                continue
            }
            let y0 = y + n0 * M, y1 = y0 + M, y2 = y1 + M, y3 = y2 + M
            let u0 = u + n0 * r, u1 = u0 + r, u2 = u1 + r, u3 = u2 + r
            var c = 0
            while c + 32 <= M {
                var a0 = load16(y0 + c), b0 = load16(y0 + c + 16)
                var a1 = load16(y1 + c), b1 = load16(y1 + c + 16)
                var a2 = load16(y2 + c), b2 = load16(y2 + c + 16)
                var a3 = load16(y3 + c), b3 = load16(y3 + c + 16)
                for k in 0..<r {
                    let wa = load16(w + k * M + c), wb = load16(w + k * M + c + 16)
                    let s0 = SIMD16<Float>(repeating: u0[k]), s1 = SIMD16<Float>(repeating: u1[k])
                    let s2 = SIMD16<Float>(repeating: u2[k]), s3 = SIMD16<Float>(repeating: u3[k])
                    a0.addProduct(s0, wa); b0.addProduct(s0, wb)
                    a1.addProduct(s1, wa); b1.addProduct(s1, wb)
                    a2.addProduct(s2, wa); b2.addProduct(s2, wb)
                    a3.addProduct(s3, wa); b3.addProduct(s3, wb)
                }
                store16(a0, y0 + c); store16(b0, y0 + c + 16)
                store16(a1, y1 + c); store16(b1, y1 + c + 16)
                store16(a2, y2 + c); store16(b2, y2 + c + 16)
                store16(a3, y3 + c); store16(b3, y3 + c + 16)
                c += 32
            }
            if c < M {
                for n in 0..<4 { expandRow(y0 + n * M, u0 + n * r, w, M: M, r: r, from: c) }
            }
        }
    }
}

/// One row of `lowRankExpand`, columns `from..<M`.
@inline(__always)
private func expandRow(_ yr: UnsafeMutablePointer<Float>, _ ur: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                       M: Int, r: Int, from start: Int = 0) {
    var c = start
    while c + 16 <= M {
        var acc = load16(yr + c)
        for k in 0..<r { acc.addProduct(SIMD16<Float>(repeating: ur[k]), load16(w + k * M + c)) }
        store16(acc, yr + c)
        c += 16
    }
    while c < M {
        var s = yr[c]
        for k in 0..<r { s += ur[k] * w[k * M + c] }
        yr[c] = s
        c += 1
    }
}

/// g (r, M) += uᵀ (r, N) · x (N, M): the gradient of a rank-r factor, summed over the N rows in order.
/// Workers split the columns of g, so each element's sum runs on one thread. Rows go in slabs small enough
/// to stay in cache while every 16-column block of the worker's range runs over them.
public func lowRankGradient(
    g: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, x: UnsafePointer<Float>, N: Int, M: Int, r: Int
) {
    precondition(lowRankSupported(r), "lowRankGradient: rank \(r) is not a multiple of 8")
    let blocks = (M + 15) / 16
    let slab = max(8, (96 * 1024) / max(M * 4, 1))
    parallelFor(blocks, minChunk: max(1, 65536 / max(N * 16, 1))) { range in
        for n0 in stride(from: 0, to: N, by: slab) {
            let n1 = min(N, n0 + slab)
            for block in range {
                let c = block * 16, width = min(16, M - c)
                for kb in stride(from: 0, to: r, by: 8) {
                    let g0 = g + kb * M + c
                    if width == 16 {
                        var a0 = load16(g0), a1 = load16(g0 + M), a2 = load16(g0 + 2 * M), a3 = load16(g0 + 3 * M)
                        var a4 = load16(g0 + 4 * M), a5 = load16(g0 + 5 * M), a6 = load16(g0 + 6 * M)
                        var a7 = load16(g0 + 7 * M)
                        for n in n0..<n1 {
                            let xv = load16(x + n * M + c), un = u + n * r + kb
                            a0.addProduct(SIMD16(repeating: un[0]), xv)
                            a1.addProduct(SIMD16(repeating: un[1]), xv)
                            a2.addProduct(SIMD16(repeating: un[2]), xv)
                            a3.addProduct(SIMD16(repeating: un[3]), xv)
                            a4.addProduct(SIMD16(repeating: un[4]), xv)
                            a5.addProduct(SIMD16(repeating: un[5]), xv)
                            a6.addProduct(SIMD16(repeating: un[6]), xv)
                            a7.addProduct(SIMD16(repeating: un[7]), xv)
                        }
                        store16(a0, g0); store16(a1, g0 + M); store16(a2, g0 + 2 * M); store16(a3, g0 + 3 * M)
                        store16(a4, g0 + 4 * M); store16(a5, g0 + 5 * M); store16(a6, g0 + 6 * M); store16(a7, g0 + 7 * M)
                    } else {
                        for j in 0..<8 {
                            for i in 0..<width {
                                var s = g0[j * M + i]
                                for n in n0..<n1 { s += u[n * r + kb + j] * x[n * M + c + i] }
                                g0[j * M + i] = s
                            }
                        }
                    }
                }
            }
        }
    }
}

/// dst (cols, rows) = srcᵀ for src (rows, cols): B (OC, r) as the (r, OC) rows the kernels above read.
public func transposeInto(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows: Int, cols: Int) {
    for i in 0..<rows {
        for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] }
    }
}
