import FinchAPI
import FinchStore
import Hummingbird
import Logging

/// Builds the router: every route under `/v1` (OpenAI) and `/openai` (Azure, `?api-version=` required).
public func buildRouter(services: FinchServices) -> Router<FinchRequestContext> {
    let router = Router(context: FinchRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.get("health") { _, _ in "ok" }

    let keys = services.configuration.apiKeys
    let openAI = router.group("v1").add(middleware: AuthMiddleware(keys: keys))
    FilesController(services: services, dialect: .openAI).addRoutes(to: openAI)
    UploadsController(services: services, dialect: .openAI).addRoutes(to: openAI)
    InferenceController(services: services, dialect: .openAI).addRoutes(to: openAI)
    JobsController(services: services, dialect: .openAI).addRoutes(to: openAI)
    ModelsController(services: services, dialect: .openAI).addRoutes(to: openAI)
    ModelExportController(services: services).addRoutes(to: openAI)
    LegacyFineTunesController(services: services).addRoutes(to: openAI)

    let azure = router.group("openai")
        .add(middleware: AzureAPIVersionMiddleware())
        .add(middleware: AuthMiddleware(keys: keys))
    FilesController(services: services, dialect: .azure).addRoutes(to: azure)
    UploadsController(services: services, dialect: .azure).addRoutes(to: azure)
    InferenceController(services: services, dialect: .azure).addRoutes(to: azure)
    JobsController(services: services, dialect: .azure).addRoutes(to: azure)
    ModelsController(services: services, dialect: .azure).addRoutes(to: azure)
    return router
}

/// Builds the whole server: store, blob directory, router and the background services.
public func buildApplication(
    configuration: ServerConfiguration, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    let services = try FinchServices.open(configuration)
    var app = Application(
        router: buildRouter(services: services),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "finch"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    app.addServices(ExpirySweeper(services: services, logger: logger), JobWorker(services: services, logger: logger))
    return app
}
