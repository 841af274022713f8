import Foundation

/// Where the client sends requests and which key it sends: the flags first, then the environment
/// variables the official `openai` SDK reads (`OPENAI_BASE_URL`, `OPENAI_API_KEY`), then a local Finch.
public struct ClientSettings: Sendable, Equatable {
    public static let defaultBaseURL = "http://127.0.0.1:8080/v1"

    /// The API root, e.g. `http://127.0.0.1:8080/v1` (no trailing slash).
    public var baseURL: URL
    /// Sent as `Authorization: Bearer KEY`; nil for a local Finch without keys.
    public var apiKey: String?

    public init(baseURL: URL, apiKey: String?) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// Resolves the settings from flags and environment, refusing a base URL that is not http(s).
    public static func resolve(baseURL flag: String?, apiKey keyFlag: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(ClientError) -> ClientSettings {
        let text = [flag, environment["OPENAI_BASE_URL"]].compactMap { $0 }.first { !$0.isEmpty } ?? defaultBaseURL
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false else {
            throw .invalidArgument("The base URL '\(text)' is not an http(s) URL (e.g. \(defaultBaseURL)).")
        }
        let key = [keyFlag, environment["OPENAI_API_KEY"]].compactMap { $0 }.first { !$0.isEmpty }
        return ClientSettings(baseURL: url, apiKey: key)
    }
}
