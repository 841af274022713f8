import FinchAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Inference errors in OpenAI's and Azure's shapes")
struct InferenceErrorTests {
    func expectError(_ response: TestResponse, status: HTTPResponse.Status, param: String?, code: String? = nil,
                     containing text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let error = try errorBody(response)
        #expect(error.param == param, sourceLocation: sourceLocation)
        if let code { #expect(error.code == code, sourceLocation: sourceLocation) }
        if let text { #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation) }
    }

    @Test("an unknown model is a 404 model_not_found; another organization's fine-tuned model too")
    func unknownModel() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let missing = try await postJSON(client, "/v1/chat/completions", ["model": "gpt-nope", "messages": userHello])
            try expectError(missing, status: .notFound, param: nil, code: "model_not_found", containing: "`gpt-nope`")
            let foreign = try await postJSON(client, "/v1/chat/completions",
                                             ["model": "ft:tiny:org-b:x:ftjob-abc", "messages": userHello])
            try expectError(foreign, status: .notFound, param: nil, code: "model_not_found")
            let legacy = try await postJSON(client, "/v1/completions", ["model": "../tiny", "prompt": "x"])
            try expectError(legacy, status: .notFound, param: nil, code: "model_not_found")
        }
    }

    @Test("a non-streaming request refused once its connection is watched for disconnects still says connection: close")
    func refusedCompletionsCloseTheConnection() async throws {
        // Watching for the client leaving consumes the connection's inbound side: a keep-alive reply would make the
        // client send its next request on a connection the server no longer reads (the SDK saw it dropped).
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let chat = try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": userHello, "temperature": 2.5])
            try expectError(chat, status: .badRequest, param: "temperature")
            #expect(chat.headers[.connection] == "close")
            let legacy = try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "x", "temperature": 2.5])
            try expectError(legacy, status: .badRequest, param: "temperature")
            #expect(legacy.headers[.connection] == "close")
            let ok = try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": userHello, "max_tokens": 2])
            #expect(ok.status == .ok && ok.headers[.connection] == "close")
        }
    }

    @Test("parameters out of range are 400s naming the parameter")
    func invalidParameters() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let cases: [(String, Any, String)] = [
                ("temperature", 2.5, "temperature"), ("top_p", 1.5, "top_p"), ("n", 0, "n"), ("max_tokens", 0, "max_tokens"),
                ("max_completion_tokens", -1, "max_completion_tokens"), ("presence_penalty", -3, "presence_penalty"),
                ("frequency_penalty", 2.1, "frequency_penalty"), ("stop", ["a", "b", "c", "d", "e"], "stop"),
            ]
            for (name, value, param) in cases {
                var body: [String: Any] = ["model": "tiny", "messages": userHello]
                body[name] = value
                try expectError(try await postJSON(client, "/v1/chat/completions", body), status: .badRequest, param: param)
            }
            try expectError(try await postJSON(client, "/v1/chat/completions",
                                               ["model": "tiny", "messages": userHello, "top_logprobs": 3]),
                            status: .badRequest, param: "top_logprobs")
            try expectError(try await postJSON(client, "/v1/chat/completions",
                                               ["model": "tiny", "messages": userHello, "logprobs": true, "top_logprobs": 21]),
                            status: .badRequest, param: "top_logprobs")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": []]),
                            status: .badRequest, param: "messages", code: "empty_array")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": [["role": "robot", "content": "x"]]]),
                            status: .badRequest, param: "messages[0].role")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": [[
                "role": "user", "content": [["type": "text", "text": "hi"], ["type": "image_url", "image_url": ["url": "http://x"]]],
            ]]]), status: .badRequest, param: "messages[0].content[1].type")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["model": "tiny"]),
                            status: .badRequest, param: "messages")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["messages": userHello]),
                            status: .badRequest, param: "model")
            try expectError(try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": userHello,
                                                                                 "tools": [["type": "function"]]]),
                            status: .badRequest, param: "tools[0]")
        }
    }

    @Test("a prompt plus max_tokens beyond the context window is a 400 with the numbers")
    func contextOverflow() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let response = try await postJSON(client, "/v1/chat/completions", ["model": "tiny", "messages": userHello, "max_tokens": 1000])
            try expectError(response, status: .badRequest, param: "messages", code: "context_length_exceeded",
                            containing: "maximum context length is 256 tokens")
            #expect(try errorBody(response).message.contains("1000 in the completion"))
            let long = String(repeating: "word ", count: 400)
            let prompt = try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": long])
            try expectError(prompt, status: .badRequest, param: "prompt", code: "context_length_exceeded")
        }
    }

    @Test("legacy completions refuse suffix, best_of > n and echo with logprobs clearly")
    func legacyUnsupported() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            try expectError(try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "a", "suffix": "b"]),
                            status: .badRequest, param: "suffix", containing: "not supported")
            try expectError(try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "a", "best_of": 3]),
                            status: .badRequest, param: "best_of")
            try expectError(try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "a", "echo": true, "logprobs": 1]),
                            status: .badRequest, param: "logprobs")
            try expectError(try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": [1, 2, 999]]),
                            status: .badRequest, param: "prompt")
            try expectError(try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "a", "logprobs": 6]),
                            status: .badRequest, param: "logprobs")
            let ok = try await postJSON(client, "/v1/completions", ["model": "tiny", "prompt": "a", "suffix": NSNull(), "max_tokens": 2])
            #expect(ok.status == .ok)
        }
    }

    @Test("without a key the inference routes are 401")
    func unauthorized() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: "{}"))
            #expect(response.status == .unauthorized)
        }
    }
}
