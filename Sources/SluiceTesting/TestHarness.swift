import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceApp
import SluiceCatalog
import SluiceCore
import SluicePostgres

extension AppSettings {
    /// Settings for in-process tests: a throw-away store (`--database memory`), rate limits off unless asked for.
    public static func testing(rateLimit: Bool = false, subscriptions: Bool = true) -> AppSettings {
        AppSettings(host: "127.0.0.1", port: 0, database: .memory, rateLimit: rateLimit, subscriptions: subscriptions, logLevel: .warning)
    }
}

/// Runs an in-process Sluice for one test: a fresh throw-away store with a full token and a read-only one.
public enum TestHarness {
    /// A token that may do anything.
    public static let token = "sluice-test-token"
    /// A token that may only read.
    public static let readOnlyToken = "sluice-test-read-only-token"

    /// The shipped catalog, decoded once for the whole test run.
    public static let catalog: Catalog = Catalog.embedded()

    /// Builds the app on a new store and runs `body` with a router-mode test client.
    ///
    /// - Parameter minting: where the app's new ids and timestamps come from (and the test tokens' ids): the system's,
    ///   or ``Minting/sequential(start:step:)`` for answers that are the same at every run.
    public static func withApp(
        settings: AppSettings = .testing(), store: (any Store)? = nil, minting: Minting = .system,
        _ body: @Sendable (any TestClientProtocol, any Store) async throws -> Void
    ) async throws {
        var logger = Logger(label: "sluice.test")
        logger.logLevel = settings.logLevel
        if let store {
            try await run(settings: settings, store: store, logger: logger, minting: minting, body)
            return
        }
        let opened = try await openTestStore(settings, logger: logger)
        do {
            try await run(settings: settings, store: opened, logger: logger, minting: minting, body)
        } catch {
            try? await opened.close()
            throw error
        }
        try await opened.close()
    }

    private static func run(
        settings: AppSettings, store: any Store, logger: Logger, minting: Minting,
        _ body: @Sendable (any TestClientProtocol, any Store) async throws -> Void
    ) async throws {
        let tokens = TokenAuthenticator(store: store, minting: minting)
        try await tokens.ensure(token, actor: "test")
        try await tokens.ensure(readOnlyToken, readOnly: true, actor: "test")
        let app = try await buildApplication(settings: settings, store: store, catalog: catalog, logger: logger, minting: minting)
        try await app.test(.router) { client in try await body(client, store) }
    }

    /// The store a test asked for; with `SLUICE_TEST_ENGINE=postgres`, a test that asked for the
    /// in-memory store gets a new schema of the PostgreSQL database `SLUICE_TEST_POSTGRES` names
    /// instead, so the whole HTTP suite can run on either engine.
    static func openTestStore(_ settings: AppSettings, logger: Logger) async throws -> any Store {
        let environment = ProcessInfo.processInfo.environment
        if settings.database == .memory, environment["SLUICE_TEST_ENGINE"] == "postgres" {
            guard let url = environment["SLUICE_TEST_POSTGRES"], !url.isEmpty else {
                throw StoreError.unavailable("SLUICE_TEST_ENGINE=postgres needs SLUICE_TEST_POSTGRES")
            }
            let store = try await PostgresStore.open(url: url, schema: "t_" + Identifier.make().lowercased(), temporary: true, logger: logger)
            // Sealed as `sluice serve` seals a PostgreSQL store, under a key of the test's own.
            return try await StoreSecrets.sealed(
                store, source: .text(SecretKeyring.newKeyText()), database: .postgres(url: url), catalog: catalog, logger: logger)
        }
        return try await openStore(settings, logger: logger, catalog: catalog)
    }
}

/// A response as a test sees it: status, headers and the body parsed as JSON when it is JSON.
public struct APIResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]

    /// The body parsed as JSON, or `.null` when it is not JSON.
    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// `data` of a success envelope.
    public var data: JSONValue { json["data"] ?? .null }
    /// The first error of an error envelope.
    public var error: JSONValue { json["errors"]?.arrayValue?.first ?? .null }
}

extension TestClientProtocol {
    /// Sends a request with the full token (unless `token` says otherwise) and a JSON body.
    public func api(
        _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, rawBody: String? = nil,
        token: String? = TestHarness.token, headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: JSONWriter.encode(json))
        } else if let rawBody {
            body = ByteBuffer(string: rawBody)
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            APIResponse(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }
}
