import Foundation

/// Small text helpers for the command-line output: times, durations, sizes and aligned columns.
public enum TextFormatting {
    /// `2026-11-21 08:01:02` in the local time zone (unix seconds in).
    public static func dateTime(_ seconds: Int64) -> String {
        let c = components(seconds)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// `08:01:02` in the local time zone.
    public static func clock(_ seconds: Int64) -> String {
        let c = components(seconds)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    private static func components(_ seconds: Int64) -> DateComponents {
        Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                        from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// `42s`, `3m05s`, `2h07m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, total / 60 % 60)
    }

    /// `1234 B`, `12.3 KB`, `4.5 MB` (decimal units, as file sizes are usually shown).
    public static func bytes(_ count: Int64) -> String {
        if count < 1000 { return "\(count) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(count) / 1000
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// Rows padded into columns separated by two spaces; the last column is not padded.
    public static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `name  value` lines with the names aligned; nil values show as `-`.
    public static func fields(_ pairs: [(String, String?)]) -> String {
        table(pairs.map { [$0.0, $0.1 ?? "-"] })
    }
}
