import FinchClient
import Foundation
import Testing

@Suite("Base URL and API key come from the flags, then OPENAI_BASE_URL/OPENAI_API_KEY, then a local Finch")
struct ClientSettingsTests {
    @Test("flags win over the environment, and a trailing slash is dropped")
    func flagsFirst() throws {
        let settings = try ClientSettings.resolve(baseURL: "https://example.com/v1/", apiKey: "sk-flag",
                                                  environment: ["OPENAI_BASE_URL": "http://other:1/v1", "OPENAI_API_KEY": "sk-env"])
        #expect(settings.baseURL.absoluteString == "https://example.com/v1")
        #expect(settings.apiKey == "sk-flag")
    }

    @Test("the environment is used when no flag is given")
    func environment() throws {
        let settings = try ClientSettings.resolve(baseURL: nil, apiKey: nil,
                                                  environment: ["OPENAI_BASE_URL": "http://10.0.0.5:9000/v1", "OPENAI_API_KEY": "sk-env"])
        #expect(settings.baseURL.absoluteString == "http://10.0.0.5:9000/v1")
        #expect(settings.apiKey == "sk-env")
    }

    @Test("without flags or environment: a local Finch on port 8080 and no key")
    func defaults() throws {
        let settings = try ClientSettings.resolve(baseURL: nil, apiKey: nil, environment: ["OPENAI_API_KEY": ""])
        #expect(settings.baseURL.absoluteString == "http://127.0.0.1:8080/v1")
        #expect(settings.apiKey == nil)
    }

    @Test("a base URL that is not http(s) is refused with a message naming it")
    func badURL() {
        for text in ["ftp://example.com/v1", "localhost:8080", "http://"] {
            #expect {
                try ClientSettings.resolve(baseURL: text, apiKey: nil, environment: [:])
            } throws: { error in
                (error as? ClientError)?.description.contains("'\(text)' is not an http(s) URL") == true
            }
        }
    }
}
