import FinchAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("POST /v1/completions (legacy) and Azure deployments")
struct CompletionRouteTests {
    @Test("a text completion: greedy, echo, prompt lists times n, logprobs, usage")
    func textCompletion() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let body: [String: Any] = ["model": "tiny", "prompt": "Once upon a time", "max_tokens": 8, "temperature": 0]
            let a = try jsonObject(try await postJSON(client, "/v1/completions", body))
            #expect((a["id"] as? String)?.hasPrefix("cmpl-") == true)
            #expect(a["object"] as? String == "text_completion")
            let text = a.choices[0]["text"] as? String ?? ""
            #expect(a.choices[0]["logprobs"] is NSNull)
            #expect(["stop", "length"].contains(a.choices[0]["finish_reason"] as? String ?? ""))

            var echo = body
            echo["echo"] = true
            let echoed = try jsonObject(try await postJSON(client, "/v1/completions", echo))
            #expect(echoed.choices[0]["text"] as? String == "Once upon a time" + text)

            let many = try jsonObject(try await postJSON(client, "/v1/completions", [
                "model": "tiny", "prompt": ["Once upon a time", "The end"], "n": 2, "max_tokens": 4, "temperature": 0,
            ]))
            #expect(many.choices.map { $0["index"] as? Int } == [0, 1, 2, 3])
            #expect(many.choices[0]["text"] as? String == many.choices[1]["text"] as? String)
            #expect((many.choices[0]["text"] as? String)?.hasPrefix(String(text.prefix(1))) == true)

            var withLogprobs = body
            withLogprobs["logprobs"] = 2
            let lp = try jsonObject(try await postJSON(client, "/v1/completions", withLogprobs))
            let logprobs = lp.choices[0]["logprobs"] as? [String: Any] ?? [:]
            let tokens = logprobs["tokens"] as? [String] ?? []
            #expect(tokens.count == lp.usage?["completion_tokens"] as? Int)
            #expect((logprobs["token_logprobs"] as? [Double])?.allSatisfy { $0 <= 0 } == true)
            #expect((logprobs["top_logprobs"] as? [[String: Double]])?.allSatisfy { $0.count <= 2 && !$0.isEmpty } == true)
            #expect((logprobs["text_offset"] as? [Int])?.first == 0)
        }
    }

    @Test("token-id prompts and a streamed completion with usage")
    func tokensAndStreaming() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let whole = try jsonObject(try await postJSON(client, "/v1/completions", [
                "model": "tiny", "prompt": [40, 41, 42, 43], "max_tokens": 10, "temperature": 0,
            ]))
            let response = try await postJSON(client, "/v1/completions", [
                "model": "tiny", "prompt": [40, 41, 42, 43], "max_tokens": 10, "temperature": 0, "stream": true,
                "stream_options": ["include_usage": true],
            ])
            let (events, done, framed) = try ssePayloads(response)
            #expect(done && framed)
            #expect(events.allSatisfy { $0["object"] as? String == "text_completion" })
            let text = events.flatMap(\.choices).compactMap { $0["text"] as? String }.joined()
            #expect(text == whole.choices[0]["text"] as? String)
            #expect(events.last?.choices.isEmpty == true)
            #expect(events.last?.usage?["prompt_tokens"] as? Int == 4)
            let finishes = events.flatMap(\.choices).compactMap { $0["finish_reason"] as? String }
            #expect(finishes.count == 1)
        }
    }

    @Test("Azure: /openai/deployments/{name}/chat/completions and /completions answer like /v1; unknown deployments are 404s")
    func azureDeployments() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let body: [String: Any] = ["messages": userHello, "temperature": 0, "max_tokens": 6]
            let azure = try jsonObject(try await postJSON(
                client, "/openai/deployments/tiny/chat/completions?api-version=2024-10-21", body, azure: true))
            var openAI = body
            openAI["model"] = "tiny"
            let plain = try jsonObject(try await postJSON(client, "/v1/chat/completions", openAI))
            #expect(content(azure) != nil && content(azure) == content(plain))

            let legacy = try await postJSON(client, "/openai/deployments/tiny/completions?api-version=2024-10-21",
                                            ["prompt": "Hi", "max_tokens": 3], azure: true)
            #expect(legacy.status == .ok)

            let missing = try await postJSON(client, "/openai/deployments/nope/chat/completions?api-version=2024-10-21", body,
                                             azure: true)
            #expect(missing.status == .notFound)
            let error = try jsonObject(missing).error
            #expect(error?["code"] as? String == "DeploymentNotFound")
            #expect(error?["type"] == nil)
            let noVersion = try await postJSON(client, "/openai/deployments/tiny/chat/completions", body, azure: true)
            #expect(noVersion.status == .badRequest)
        }
    }

    @Test("model aliases from DATA/model-aliases.json resolve, and the response names the real model")
    func aliases() async throws {
        let server = try TestServer.withTinyModels()
        try Data(#"{"gpt-4o-mini-2024-07-18": "tiny"}"#.utf8).write(to: URL(fileURLWithPath: server.directory + "/model-aliases.json"))
        try await server.test { client in
            let response = try await postJSON(client, "/v1/chat/completions", [
                "model": "gpt-4o-mini-2024-07-18", "messages": userHello, "max_tokens": 2,
            ])
            #expect(response.status == .ok)
            #expect(try jsonObject(response)["model"] as? String == "tiny")
        }
    }

    @Test("tools are offered through the prompt (Hermes format for templates without tools) and tool turns render")
    func toolsRender() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let tools: [[String: Any]] = [["type": "function", "function": [
                "name": "get_weather", "description": "Weather for a city",
                "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
            ]]]
            let plain = try jsonObject(try await postJSON(client, "/v1/chat/completions", ["model": "tiny-long", "messages": userHello, "max_tokens": 1]))
            let offered = try jsonObject(try await postJSON(client, "/v1/chat/completions", [
                "model": "tiny-long", "messages": userHello, "max_tokens": 1, "tools": tools, "tool_choice": "auto",
            ]))
            let none = try jsonObject(try await postJSON(client, "/v1/chat/completions", [
                "model": "tiny-long", "messages": userHello, "max_tokens": 1, "tools": tools, "tool_choice": "none",
            ]))
            let base = plain.usage?["prompt_tokens"] as? Int ?? 0
            #expect((offered.usage?["prompt_tokens"] as? Int ?? 0) > base + 50)
            #expect(none.usage?["prompt_tokens"] as? Int == base)

            let turns: [[String: Any]] = userHello + [
                ["role": "assistant", "content": NSNull(), "tool_calls": [[
                    "id": "call_1", "type": "function", "function": ["name": "get_weather", "arguments": "{\"city\": \"Paris\"}"],
                ]]],
                ["role": "tool", "tool_call_id": "call_1", "content": "sunny"],
            ]
            let followUp = try await postJSON(client, "/v1/chat/completions", ["model": "tiny-long", "messages": turns, "tools": tools, "max_tokens": 2])
            #expect(followUp.status == .ok)
            let missingID = try await postJSON(client, "/v1/chat/completions", [
                "model": "tiny", "messages": userHello + [["role": "tool", "content": "sunny"]], "max_tokens": 2,
            ])
            #expect(missingID.status == .badRequest)
        }
    }
}
