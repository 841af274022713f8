import FinchAPI
import FinchStore
import Hummingbird

/// The `limit`, `order` and `after` query parameters every list shares, checked.
struct ListQuery {
    var limit: Int
    var order: ListOrder
    var after: String?

    init(_ parameters: Parameters, defaultLimit: Int, maxLimit: Int, allowsOrder: Bool = false,
         defaultOrder: ListOrder = .descending) throws(APIError) {
        limit = defaultLimit
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                throw .invalidRequest("Invalid 'limit': '\(text)'. It must be an integer between 1 and \(maxLimit).",
                                      param: "limit", code: "invalid_value")
            }
            limit = value
        }
        order = defaultOrder
        if allowsOrder, let text = parameters["order"] {
            guard let value = ListOrder(rawValue: String(text)) else {
                throw .invalidRequest("Invalid 'order': '\(text)'. Supported values are: 'asc' and 'desc'.",
                                      param: "order", code: "invalid_value")
            }
            order = value
        }
        if let text = parameters["after"], !text.isEmpty { after = String(text) }
    }
}
