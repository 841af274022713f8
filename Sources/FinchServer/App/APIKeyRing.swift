import FinchAPI
import Foundation

/// API keys and the tenant each belongs to, from `FINCH_API_KEYS="key1=org-a/proj-1,key2=org-b"` or a
/// file with one `key=org[/project]` per line (`#` comments). A key without a project gets `proj-default`.
public struct APIKeyRing: Sendable, Equatable {
    public private(set) var tenants: [String: Tenant] = [:]

    public init(_ tenants: [String: Tenant] = [:]) {
        self.tenants = tenants
    }

    public var isEmpty: Bool { tenants.isEmpty }

    /// With no keys configured, any key is the single local tenant; otherwise only configured keys are.
    public func tenant(forKey key: String) -> Tenant? {
        isEmpty ? .local : tenants[key]
    }

    /// Parses the comma- or newline-separated `key=org[/project]` list.
    public static func parse(_ text: String, source: String = "FINCH_API_KEYS") throws -> APIKeyRing {
        var ring = APIKeyRing()
        let entries = text.split(whereSeparator: { $0 == "," || $0 == "\n" })
        for (index, rawEntry) in entries.enumerated() {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigurationError("\(source): entry \(index + 1) ('\(entry)') is not of the form key=org[/project]")
            }
            let owner = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
            guard owner.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
                throw ConfigurationError("\(source): entry \(index + 1) has an empty or spaced organization/project")
            }
            guard ring.tenants[parts[0]] == nil else {
                throw ConfigurationError("\(source): the key of entry \(index + 1) is listed twice")
            }
            ring.tenants[parts[0]] = Tenant(organization: owner[0], project: owner.count > 1 ? owner[1] : "proj-default")
        }
        return ring
    }

    /// Reads a keys file (`--api-keys-file`).
    public static func load(file path: String) throws -> APIKeyRing {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("cannot read the API keys file \(path)")
        }
        return try parse(text, source: path)
    }

    /// Keys from both sources; a key in both must name the same tenant.
    public func merging(_ other: APIKeyRing) throws -> APIKeyRing {
        var merged = self
        for (key, tenant) in other.tenants {
            if let existing = merged.tenants[key], existing != tenant {
                throw ConfigurationError("a key is configured twice with different tenants (\(existing) and \(tenant))")
            }
            merged.tenants[key] = tenant
        }
        return merged
    }
}

/// A configuration mistake, reported at start-up with a clear message.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
