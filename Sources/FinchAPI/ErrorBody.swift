/// OpenAI's `ErrorResponse`: all four keys are present, `param` and `code` may be null.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        public init(message: String, type: String, param: String?, code: String?) {
            self.message = message
            self.type = type
            self.param = param
            self.code = code
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)  // explicit null: the key is required
            try container.encode(code, forKey: .code)
        }
    }
    public var error: Body

    public init(_ error: APIError) {
        self.error = Body(message: error.message, type: error.type, param: error.param, code: error.code)
    }
}

/// Azure's error body (Microsoft REST guidelines): `{"error":{"code","message","target"?}}`.
public struct AzureErrorResponse: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var target: String?
    }
    public var error: Body

    public init(_ error: APIError) {
        self.error = Body(code: error.azureCode, message: error.message, target: error.param)
    }
}
