import FinchAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("POST /v1/chat/completions on a tiny model")
struct ChatCompletionRouteTests {
    @Test("greedy decoding is deterministic and the response has OpenAI's shape and usage")
    func greedyShape() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let body: [String: Any] = ["model": "tiny", "messages": userHello, "temperature": 0, "max_tokens": 12]
            let first = try await postJSON(client, "/v1/chat/completions", body)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "application/json")
            let a = try jsonObject(first), b = try jsonObject(try await postJSON(client, "/v1/chat/completions", body))
            #expect((a["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(a["object"] as? String == "chat.completion")
            #expect(a["model"] as? String == "tiny")
            #expect(a["created"] as? Int == Int(server.now))
            let choice = a.choices[0]
            #expect(choice["index"] as? Int == 0)
            #expect(choice.keys.contains("logprobs") && choice["logprobs"] is NSNull)
            let message = choice["message"] as? [String: Any] ?? [:]
            #expect(message["role"] as? String == "assistant")
            #expect(message.keys.contains("refusal"))
            #expect(content(a) != nil && content(a) == content(b))
            let usage = a.usage ?? [:]
            let completion = usage["completion_tokens"] as? Int ?? -1
            #expect((usage["prompt_tokens"] as? Int ?? 0) > 5)
            #expect(usage["total_tokens"] as? Int == (usage["prompt_tokens"] as? Int ?? 0) + completion)
            let finish = choice["finish_reason"] as? String
            #expect(finish == "length" ? completion == 12 : (finish == "stop" && completion < 12))
        }
    }

    @Test("streaming: role chunk, content deltas equal to the non-streamed reply, finish chunk, usage chunk, [DONE]")
    func streamingFraming() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let base: [String: Any] = ["model": "tiny", "messages": userHello, "temperature": 0, "max_tokens": 24]
            let whole = try jsonObject(try await postJSON(client, "/v1/chat/completions", base))
            var streamed = base
            streamed["stream"] = true
            streamed["stream_options"] = ["include_usage": true]
            let response = try await postJSON(client, "/v1/chat/completions", streamed)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let (events, done, framed) = try ssePayloads(response)
            #expect(done && framed)
            #expect(events.count >= 3)
            let ids = Set(events.compactMap { $0["id"] as? String })
            #expect(ids.count == 1 && ids.first?.hasPrefix("chatcmpl-") == true)
            #expect(events.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            let first = events[0].choices[0]["delta"] as? [String: Any] ?? [:]
            #expect(first["role"] as? String == "assistant" && first["content"] as? String == "")
            #expect(events[0].choices[0]["finish_reason"] is NSNull)

            let usageChunk = events[events.count - 1]
            #expect(usageChunk.choices.isEmpty)
            #expect(usageChunk.usage?["completion_tokens"] as? Int == whole.usage?["completion_tokens"] as? Int)
            #expect(usageChunk.usage?["prompt_tokens"] as? Int == whole.usage?["prompt_tokens"] as? Int)
            #expect(events.dropLast().allSatisfy { $0.keys.contains("usage") && $0["usage"] is NSNull })

            let last = events[events.count - 2].choices[0]
            #expect((last["delta"] as? [String: Any])?.isEmpty == true)
            #expect(last["finish_reason"] as? String == whole.choices[0]["finish_reason"] as? String)
            let text = events.dropFirst().flatMap(\.choices).compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }
                .joined()
            #expect(text == content(whole))
        }
    }

    @Test("a stream without include_usage has no usage key and still ends with [DONE]")
    func streamWithoutUsage() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let response = try await postJSON(client, "/v1/chat/completions", [
                "model": "tiny", "messages": userHello, "max_tokens": 4, "stream": true, "seed": 3,
            ])
            let (events, done, framed) = try ssePayloads(response)
            #expect(done && framed)
            #expect(events.allSatisfy { !$0.keys.contains("usage") })
            #expect(events.last?.choices.first?["finish_reason"] as? String != nil)
        }
    }

    @Test("a seed reproduces a sample; n choices are indexed and choice 0 equals the n = 1 sample")
    func seedsAndN() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let body: [String: Any] = ["model": "tiny", "messages": userHello, "temperature": 1.2, "seed": 1234, "max_tokens": 16]
            let a = try jsonObject(try await postJSON(client, "/v1/chat/completions", body))
            let b = try jsonObject(try await postJSON(client, "/v1/chat/completions", body))
            #expect(content(a) == content(b))
            var many = body
            many["n"] = 3
            let c = try jsonObject(try await postJSON(client, "/v1/chat/completions", many))
            #expect(c.choices.map { $0["index"] as? Int } == [0, 1, 2])
            #expect(content(c, choice: 0) == content(a))
            let texts = (0..<3).compactMap { content(c, choice: $0) }
            #expect(Set(texts).count > 1)
            let completionTokens = c.usage?["completion_tokens"] as? Int ?? 0
            #expect(completionTokens > (a.usage?["completion_tokens"] as? Int ?? 0))
            #expect(c.usage?["prompt_tokens"] as? Int == a.usage?["prompt_tokens"] as? Int)
        }
    }

    @Test("logprobs: one entry per token, top alternatives sorted, greedy picks the most likely, mass at most 1")
    func logprobs() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let object = try jsonObject(try await postJSON(client, "/v1/chat/completions", [
                "model": "tiny", "messages": userHello, "temperature": 0, "max_tokens": 10, "logprobs": true, "top_logprobs": 5,
            ]))
            let logprobs = object.choices[0]["logprobs"] as? [String: Any] ?? [:]
            #expect(logprobs.keys.contains("refusal"))
            let entries = logprobs["content"] as? [[String: Any]] ?? []
            #expect(entries.count == object.usage?["completion_tokens"] as? Int)
            for entry in entries {
                let lp = entry["logprob"] as? Double ?? 1
                let top = entry["top_logprobs"] as? [[String: Any]] ?? []
                let values = top.compactMap { $0["logprob"] as? Double }
                #expect(lp <= 0 && top.count == 5)
                #expect(values == values.sorted(by: >))
                #expect(values.reduce(0) { $0 + exp($1) } <= 1 + 1e-6)
                #expect(abs((values.first ?? 0) - lp) < 1e-9)
                #expect(entry["bytes"] as? [Int] == top.first?["bytes"] as? [Int])
            }
            // Special tokens (<|im_start|>, …) are listed but are not part of the content.
            let joined = entries.filter { !(($0["token"] as? String ?? "").hasPrefix("<|")) }
                .flatMap { $0["bytes"] as? [Int] ?? [] }.map(UInt8.init)
            #expect(String(decoding: joined, as: UTF8.self) == content(object))
        }
    }

    @Test("a stop string that spans token boundaries ends the reply before it, with finish_reason stop")
    func stopAcrossTokens() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            let base: [String: Any] = ["model": "tiny", "messages": userHello, "temperature": 0, "max_tokens": 40, "logprobs": true]
            let whole = try jsonObject(try await postJSON(client, "/v1/chat/completions", base))
            let tokens = ((whole.choices[0]["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? [])
                .map { $0["token"] as? String ?? "" }
            let text = content(whole) ?? ""
            // The last character of one ASCII token and the first of the next.
            guard let k = (1..<max(tokens.count - 1, 1)).first(where: { k in
                [tokens[k], tokens[k + 1]].allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy(\.isASCII) }
            }) else { return }
            let stop = String(tokens[k].suffix(1)) + String(tokens[k + 1].prefix(1))
            let expected = String(text[..<text.range(of: stop)!.lowerBound])
            for stream in [false, true] {
                var body = base
                body["stop"] = [stop, "never-in-this-text-\u{1F600}"]
                body["stream"] = stream
                let response = try await postJSON(client, "/v1/chat/completions", body)
                if stream {
                    let events = try ssePayloads(response).events
                    let streamed = events.flatMap(\.choices).compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
                    #expect(streamed == expected)
                    #expect(events.last?.choices.first?["finish_reason"] as? String == "stop")
                } else {
                    let object = try jsonObject(response)
                    #expect(content(object) == expected)
                    #expect(object.choices[0]["finish_reason"] as? String == "stop")
                }
            }
        }
    }

    @Test("streamed deltas are whole UTF-8 characters and join to the full reply, for several seeds")
    func utf8SafeStreaming() async throws {
        let server = try TestServer.withTinyModels()
        try await server.test { client in
            for seed in 1...4 {
                let base: [String: Any] = ["model": "tiny-qwen", "messages": [["role": "user", "content": "héllo ✓ 日本"]],
                                           "temperature": 1.5, "seed": seed, "max_tokens": 30]
                let whole = try jsonObject(try await postJSON(client, "/v1/chat/completions", base))
                var streamed = base
                streamed["stream"] = true
                let response = try await postJSON(client, "/v1/chat/completions", streamed)
                let raw = Array(response.body.readableBytesView)
                #expect(String(validating: raw, as: UTF8.self) != nil)
                let deltas = try ssePayloads(response).events.flatMap(\.choices)
                    .compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }
                #expect(deltas.joined() == content(whole))
            }
        }
    }
}
