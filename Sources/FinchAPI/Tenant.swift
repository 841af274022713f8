/// The organization and project an API key belongs to. Every stored object carries one; a request
/// only ever sees objects of its own tenant (another tenant's object is a 404).
public struct Tenant: Hashable, Sendable, CustomStringConvertible {
    public var organization: String
    public var project: String

    public init(organization: String, project: String) {
        self.organization = organization
        self.project = project
    }

    /// The tenant of a server with no keys configured: any bearer key maps to it.
    public static let local = Tenant(organization: "org-local", project: "proj-default")

    public var description: String { "\(organization)/\(project)" }
}
