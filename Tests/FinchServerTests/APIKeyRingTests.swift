import FinchAPI
import FinchServer
import Testing

@Suite("API keys and tenants")
struct APIKeyRingTests {
    @Test("FINCH_API_KEYS maps each key to its organization and project")
    func parse() throws {
        let ring = try APIKeyRing.parse("key1=org-a/proj-1, key2=org-b")
        #expect(ring.tenant(forKey: "key1") == Tenant(organization: "org-a", project: "proj-1"))
        #expect(ring.tenant(forKey: "key2") == Tenant(organization: "org-b", project: "proj-default"))
        #expect(ring.tenant(forKey: "key3") == nil)
    }

    @Test("a broken entry is a clear configuration error", arguments: ["key1", "=org", "key1=", "k=a/b,k=c", "k=org a"])
    func broken(_ text: String) {
        #expect(throws: ConfigurationError.self) { try APIKeyRing.parse(text) }
    }

    @Test("without keys, only loopback addresses may be bound")
    func loopbackOnly() throws {
        var configuration = ServerConfiguration()
        configuration.host = "0.0.0.0"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.apiKeys = try APIKeyRing.parse("k=org")
        try configuration.validate()
        configuration.apiKeys = APIKeyRing()
        for host in ["127.0.0.1", "localhost", "::1"] {
            configuration.host = host
            try configuration.validate()
        }
    }
}
