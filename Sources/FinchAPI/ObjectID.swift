/// Object identifiers in OpenAI's shapes: a fixed prefix and a random base-62 tail
/// (`file-…`, `upload_…`, `part_…`, `ftjob-…`, `ftevent-…`, `ftckpt_…`, `ft-…`, `chatcmpl-…`, `cmpl-…`).
public enum ObjectID {
    public static let file = "file-"
    public static let upload = "upload_"
    public static let uploadPart = "part_"
    public static let fineTuningJob = "ftjob-"
    public static let fineTuningEvent = "ftevent-"
    public static let checkpoint = "ftckpt_"
    public static let legacyFineTune = "ft-"
    public static let chatCompletion = "chatcmpl-"
    public static let completion = "cmpl-"
    public static let request = "req_"

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A new id: `prefix` followed by `length` random base-62 characters (about 143 bits for 24).
    public static func make(_ prefix: String, length: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        var tail = ""
        tail.reserveCapacity(length)
        for _ in 0..<length {
            tail.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return prefix + tail
    }
}
