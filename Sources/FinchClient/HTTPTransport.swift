import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Requests to an OpenAI-compatible server through URLSession (libcurl on Linux, so https works too).
/// Every non-2xx answer becomes a `ClientError.api` with the server's error message.
struct HTTPTransport: Sendable {
    let settings: ClientSettings
    let session: URLSession

    init(settings: ClientSettings) {
        self.settings = settings
        let configuration = URLSessionConfiguration.default
        // A chat answer from a large model or a slow upload may be quiet for a while: wait, do not fail.
        configuration.timeoutIntervalForRequest = 600
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        session = URLSession(configuration: configuration)
    }

    /// A request for `path` below the base URL; path segments are percent-encoded, so an id can
    /// never change which route is called.
    func request(_ method: String, _ segments: [String], query: [(String, String?)] = [],
                 json body: Data? = nil) -> URLRequest {
        var components = URLComponents(url: settings.baseURL, resolvingAgainstBaseURL: false)!
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))
        let encoded = segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }
        components.percentEncodedPath = ([components.percentEncodedPath] + encoded).joined(separator: "/")
        let items = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        components.queryItems = items.isEmpty ? nil : items
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("finch-cli", forHTTPHeaderField: "User-Agent")
        if let key = settings.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return request
    }

    /// Sends `request` and returns the body of a 2xx answer.
    func send(_ request: URLRequest) async throws(ClientError) -> Data {
        let answer: (Data, URLResponse)
        do {
            answer = try await session.data(for: request)
        } catch {
            throw Self.transportError(error, request: request)
        }
        return try Self.checked(answer)
    }

    /// Sends `request` with the body read from `file` as it goes (uploads larger than memory).
    func upload(_ request: URLRequest, fromFile file: URL) async throws(ClientError) -> Data {
        let answer: (Data, URLResponse)
        do {
            answer = try await session.upload(for: request, fromFile: file)
        } catch {
            throw Self.transportError(error, request: request)
        }
        return try Self.checked(answer)
    }

    /// Sends `request` and leaves the body of a 2xx answer in a temporary file (the caller moves or removes it).
    func download(_ request: URLRequest) async throws(ClientError) -> URL {
        let answer: (URL, URLResponse)
        do {
            answer = try await session.download(for: request)
        } catch {
            throw Self.transportError(error, request: request)
        }
        if let response = answer.1 as? HTTPURLResponse, !(200..<300).contains(response.statusCode) {
            let body = (try? Data(contentsOf: answer.0)) ?? Data()
            try? FileManager.default.removeItem(at: answer.0)
            throw ClientError.fromResponse(status: response.statusCode, body: body)
        }
        return answer.0
    }

    static func checked(_ answer: (Data, URLResponse)) throws(ClientError) -> Data {
        guard let response = answer.1 as? HTTPURLResponse else { throw .unexpectedResponse("The server's answer was not HTTP.") }
        guard (200..<300).contains(response.statusCode) else {
            throw ClientError.fromResponse(status: response.statusCode, body: answer.0)
        }
        return answer.0
    }

    /// A URLSession failure, said in words (Linux's URLError descriptions are only codes).
    static func transportError(_ error: any Error, request: URLRequest) -> ClientError {
        if let error = error as? ClientError { return error }
        let target = request.url.map { "\($0.scheme ?? "http")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? "the server"
        guard let urlError = error as? URLError else { return .transport("Request to \(target) failed: \(error)") }
        let reason: String
        switch urlError.code {
        case .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet:
            reason = "could not connect (is the server running? set --base-url or OPENAI_BASE_URL)"
        case .cannotFindHost, .dnsLookupFailed: reason = "unknown host"
        case .timedOut: reason = "timed out"
        case .cancelled: reason = "cancelled"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            reason = "TLS failed"
        default: reason = "URL error \(urlError.code.rawValue)"
        }
        return .transport("Request to \(target) failed: \(reason).")
    }
}

extension JSONDecoder {
    /// Decodes a 2xx body as `type`, or says what came back instead.
    static func decodeAnswer<Value: Decodable>(_ type: Value.Type, from data: Data) throws(ClientError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            let snippet = String(decoding: data.prefix(200), as: UTF8.self)
            throw .unexpectedResponse("The server's answer is not a valid \(Value.self): \(error) — got: \(snippet)")
        }
    }
}
