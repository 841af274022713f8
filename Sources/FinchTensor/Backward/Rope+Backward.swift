/// Backward of `ropeForward`, in place: the rotation is orthogonal, so its gradient is the
/// rotation by the opposite angle (sin -> -sin). dx: (B,T,NH,hd) holds dout on entry, dinp on exit.
public func ropeBackward(
    dx: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
    BT: Int, NH: Int, hd: Int, layout: RopeLayout = .neox
) {
    let half = hd / 2
    parallelFor(BT * NH, minChunk: 64) { range in
        for row in range {
            let bt = row / NH
            let v = dx + row * hd
            let c = cos + bt * half
            let s = sin + bt * half
            switch layout {
            case .neox:
                for i in 0..<half {
                    let g1 = v[i], g2 = v[i + half]
                    v[i] = g1 * c[i] + g2 * s[i]
                    v[i + half] = g2 * c[i] - g1 * s[i]
                }
            case .gptj:
                for i in 0..<half {
                    let g1 = v[2 * i], g2 = v[2 * i + 1]
                    v[2 * i] = g1 * c[i] + g2 * s[i]
                    v[2 * i + 1] = g2 * c[i] - g1 * s[i]
                }
            }
        }
    }
}
