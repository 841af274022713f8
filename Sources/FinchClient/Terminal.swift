import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output as a terminal: whether it is one (`isatty`), and how wide.
public enum Terminal {
    /// True when standard output is a terminal that understands `\r` redraws (not `TERM=dumb`).
    public static var standardOutputIsInteractive: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    public static var standardInputIsInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Columns of the terminal on standard output (`TIOCGWINSZ`, else `COLUMNS`, else 80).
    public static var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
    }

    /// Writes `text` to standard output at once (no buffering), so a redrawn line shows immediately.
    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
