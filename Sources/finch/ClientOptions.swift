import ArgumentParser
import FinchClient
import Foundation

/// `--base-url` and `--api-key`, shared by the client commands (files, jobs, chat).
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The API root of Finch or another OpenAI-compatible server. Default: OPENAI_BASE_URL, else \(ClientSettings.defaultBaseURL).",
                               valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("The API key, sent as a bearer token. Default: OPENAI_API_KEY (none for a local Finch without keys).",
                               valueName: "key"))
    var apiKey: String?

    func client() throws -> FinchClient {
        do {
            return FinchClient(settings: try ClientSettings.resolve(baseURL: baseURL, apiKey: apiKey))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// `--limit`, `--after` and `--json`, shared by the list commands.
struct ListOptions: ParsableArguments {
    @Option(help: "At most this many items.") var limit: Int?
    @Option(help: "Continue after this id (the last one of the previous page).") var after: String?
    @Flag(help: "Print the list object as JSON.") var json = false
}

/// The server, an object's id and `--json`: what the `get` commands take.
struct ShowOptions: ParsableArguments {
    @OptionGroup var options: ClientOptions
    @Argument(help: "The id (file-…, ftjob-…).") var id: String
    @Flag(help: "Print the object as the server's JSON.") var json = false

    /// Fetches the object and prints it: the server's JSON with `--json`, else `describe`'s text.
    func show<Value>(_ fetch: (FinchClient, String) async throws -> Fetched<Value>, describe: (Value) -> String) async throws {
        let client = try options.client()
        let object = try await reportingErrors { try await fetch(client, id) }
        if json { return printJSON(object.json) }
        Terminal.write(describe(object.value) + "\n")
    }
}

/// Runs a client call; a failure prints the server's message (`Error: …`) and exits with status 1.
func reportingErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
    do {
        return try await body()
    } catch let error as ClientError {
        Terminal.writeError("Error: \(error.description)\n")
        throw ExitCode.failure
    }
}

/// Prints `json` (the server's bytes) followed by a newline.
func printJSON(_ json: Data) {
    Terminal.write(String(decoding: json, as: UTF8.self) + "\n")
}
